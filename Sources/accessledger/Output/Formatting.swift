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
