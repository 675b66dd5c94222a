import AccessModel

/// JSON for output, the CLI's and the HTTP service's: objects keep their keys in the order
/// SPEC §5 shows them, and print indented by two spaces.
public enum OutputJSON: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case array([OutputJSON])
    case object([(String, OutputJSON)])
    /// An event payload, printed with sorted keys.
    case raw(JSONValue)

    public static func string(_ value: String?) -> OutputJSON { value.map { .string($0) } ?? .null }

    /// The text on one line, without white space (JSON lines, server-sent events).
    public func renderedCompact() -> String {
        var out = ""
        write(into: &out, indent: nil)
        return out
    }

    /// The text, ending with a newline.
    public func rendered() -> String {
        var out = ""
        write(into: &out, indent: 0)
        return out + "\n"
    }

    /// Writes the value indented by `indent` levels, or on one line when `indent` is nil.
    private func write(into out: inout String, indent: Int?) {
        let pad = indent.map { "\n" + String(repeating: "  ", count: $0 + 1) } ?? ""
        let closePad = indent.map { "\n" + String(repeating: "  ", count: $0) } ?? ""
        let inner = indent.map { $0 + 1 }
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .string(let s): out += JSONValue.string(s).canonicalString
        case .raw(let value): out += value.canonicalString
        case .array(let items):
            if items.isEmpty {
                out += "[]"
                return
            }
            out += "["
            for (index, item) in items.enumerated() {
                out += (index > 0 ? "," : "") + pad
                item.write(into: &out, indent: inner)
            }
            out += closePad + "]"
        case .object(let members):
            if members.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            for (index, (key, value)) in members.enumerated() {
                out +=
                    (index > 0 ? "," : "") + pad + JSONValue.string(key).canonicalString + (indent == nil ? ":" : ": ")
                value.write(into: &out, indent: inner)
            }
            out += closePad + "}"
        }
    }
}

extension OutputJSON {
    /// A role, or `null` for none.
    public static func role(_ role: WorkspaceRole?) -> OutputJSON { .string(role?.rawValue) }
    /// A time in RFC 3339, or `null`.
    public static func time(_ time: Timestamp?) -> OutputJSON { .string(time?.rfc3339) }
    /// An array of strings.
    public static func strings(_ items: [String]) -> OutputJSON { .array(items.map { .string($0) }) }
    /// `{"position", "time"}` of an answer.
    public static func asOf(_ position: Int64, _ time: Timestamp?) -> OutputJSON {
        .object([("position", .int(position)), ("time", .time(time))])
    }
}
