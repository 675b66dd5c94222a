import AccessModel
import ArgumentParser
import Foundation
import LedgerService
import LedgerStore

/// `accessledger audit history (--workspace W | --user U) [--since T1] [--until T2] [-o table|json|csv]`:
/// maximal intervals of constant (role, live_role, state, via), with the events that began and
/// ended them — who could reach W between T1 and T2, who granted it, and when it really ended.
///
/// JSON (SPEC §5): an array of `{"workspace", "username", "role", "live_role", "state", "via",
/// "from": {"position", "time"}, "to": {"position", "time"} | null, "started_by": {"actor",
/// "type", "reason"}, "ended_by": {"actor", "type", "reason"} | null}` in log order (`reason` is
/// an addition: the `--reason` of that event). CSV: a header row, then one row per interval,
/// RFC 4180 quoting, `via` joined with `;`, cells that a spreadsheet would run as a formula
/// prefixed with `'`.
struct AuditHistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Intervals of access to a workspace or of a user, with what began and ended them.",
        discussion: """
            --workspace names the workspace holding that name now (or, if none does, the last one that \
            did). Intervals that overlap [--since, --until] are listed whole (both bounds inclusive).
            """)

    @Option(help: ArgumentHelp("The workspace (OWNER/NAME).", valueName: "owner/name")) var workspace: String?
    @Option(help: ArgumentHelp("The user.", valueName: "user")) var user: String?
    @Option(help: ArgumentHelp("Only intervals still open at or after this time (RFC 3339).", valueName: "time"))
    var since: String?
    @Option(help: ArgumentHelp("Only intervals begun at or before this time (RFC 3339).", valueName: "time"))
    var until: String?
    @Option(name: [.customShort("o"), .customLong("output")], help: "table, json or csv.")
    var output: HistoryFormat = .table
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let subject = try Input.subject(workspace: workspace, user: user, names: ("--workspace", "--user"))
        let from = try since.map { try Input.time($0, name: "--since") }
        let to = try until.map { try Input.time($0, name: "--until") }
        let connection = try database.open()
        defer { connection.close() }
        let intervals = try AuditHistory(connection: connection).intervals(of: subject, since: from, until: to)
        switch output {
        case .json: print(OutputJSON.array(intervals.map(JSONShapes.interval)).rendered(), terminator: "")
        case .csv: print(AuditCSV.render(intervals), terminator: "")
        case .table: print(AuditHistoryCommand.table(intervals), terminator: "")
        }
    }

    static func table(_ intervals: [AccessInterval]) -> String {
        guard !intervals.isEmpty else { return "no access in that period\n" }
        var table = Table(
            "WORKSPACE", "USER", "ROLE", "LIVE ROLE", "STATE", "VIA", "FROM", "TO", "STARTED BY", "ENDED BY")
        for i in intervals {
            table.append(
                i.workspace, i.username, Cell.role(i.role), Cell.role(i.liveRole), i.state.rawValue, Cell.list(i.via),
                "\(i.from.position) \(i.from.time?.rfc3339 ?? "")",
                i.to.map { "\($0.position) \($0.time?.rfc3339 ?? "")" } ?? "now",
                "\(i.startedBy.actor): \(i.startedBy.type)", i.endedBy.map { "\($0.actor): \($0.type)" } ?? "-")
        }
        return table.rendered()
    }
}
