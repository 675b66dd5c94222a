import AccessModel
import Foundation
import LedgerStore

/// `audit history` as CSV (the CLI's `-o csv`, the service's `Accept: text/csv`): a header row,
/// then one row per interval, RFC 4180 quoting, `via` joined with `;`, and cells that a
/// spreadsheet would run as a formula prefixed with `'`.
public enum AuditCSV {
    public static let header = [
        "workspace", "username", "role", "live_role", "state", "via", "from_position", "from_time", "to_position",
        "to_time", "started_by_actor", "started_by_type", "started_by_reason", "ended_by_actor", "ended_by_type",
        "ended_by_reason",
    ]

    public static func render(_ intervals: [AccessInterval]) -> String {
        var lines = [header.map(field).joined(separator: ",")]
        for i in intervals {
            let fields: [String] = [
                i.workspace, i.username, i.role?.rawValue ?? "", i.liveRole?.rawValue ?? "", i.state.rawValue,
                i.via.joined(separator: ";"), String(i.from.position), i.from.time?.rfc3339 ?? "",
                i.to.map { String($0.position) } ?? "", i.to?.time?.rfc3339 ?? "", i.startedBy.actor, i.startedBy.type,
                i.startedBy.reason ?? "", i.endedBy?.actor ?? "", i.endedBy?.type ?? "", i.endedBy?.reason ?? "",
            ]
            lines.append(fields.map(field).joined(separator: ","))
        }
        return lines.map { $0 + "\r\n" }.joined()
    }

    /// RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled. A field that
    /// begins with `=`, `+`, `-`, `@`, a tab or a CR is prefixed with `'`, as OWASP advises, so
    /// that a spreadsheet shows it as text instead of running it as a formula.
    public static func field(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) {
            text = "'" + text
        }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
