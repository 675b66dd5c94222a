import AccessModel

/// Cell text shared by the tables: `-` for none or empty.
enum Cell {
    /// The role, or `-` for none.
    static func role(_ role: WorkspaceRole?) -> String { role?.rawValue ?? "-" }
    /// The text, or `-` when absent or empty.
    static func text(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "-" }
        return text
    }
    /// A comma-separated list, or `-` when empty.
    static func list(_ items: [String]) -> String { items.isEmpty ? "-" : items.joined(separator: ",") }
    /// A time in RFC 3339, or `-`.
    static func time(_ time: Timestamp?) -> String { time?.rfc3339 ?? "-" }
    /// `yes` or `no`.
    static func yesNo(_ value: Bool) -> String { value ? "yes" : "no" }
}

extension OutputJSON {
    /// A role, or `null` for none.
    static func role(_ role: WorkspaceRole?) -> OutputJSON { .string(role?.rawValue) }
    /// A time in RFC 3339, or `null`.
    static func time(_ time: Timestamp?) -> OutputJSON { .string(time?.rfc3339) }
    /// An array of strings.
    static func strings(_ items: [String]) -> OutputJSON { .array(items.map { .string($0) }) }
    /// `{"position", "time"}` of an answer.
    static func asOf(_ position: Int64, _ time: Timestamp?) -> OutputJSON {
        .object([("position", .int(position)), ("time", .time(time))])
    }
}
