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
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out, indent: nil)
        return String(decoding: out, as: UTF8.self)
    }

    /// The text, ending with a newline.
    public func rendered() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out, indent: 0)
        out.append(0x0A)
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes the value's UTF-8 indented by `indent` levels, or on one line when `indent` is
    /// nil. Strings and payloads are escaped exactly as in the canonical encoding of events.
    private func write(into out: inout [UInt8], indent: Int?) {
        let inner = indent.map { $0 + 1 }
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .raw(let value): value.writeCanonical(into: &out)
        case .array(let items):
            if items.isEmpty {
                out.append(contentsOf: "[]".utf8)
                return
            }
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                OutputJSON.newline(into: &out, level: inner)
                item.write(into: &out, indent: inner)
            }
            OutputJSON.newline(into: &out, level: indent)
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            if members.isEmpty {
                out.append(contentsOf: "{}".utf8)
                return
            }
            out.append(UInt8(ascii: "{"))
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                OutputJSON.newline(into: &out, level: inner)
                JSONValue.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                if indent != nil { out.append(UInt8(ascii: " ")) }
                value.write(into: &out, indent: inner)
            }
            OutputJSON.newline(into: &out, level: indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A line break and two spaces a level, when indenting (`level` not nil).
    private static func newline(into out: inout [UInt8], level: Int?) {
        guard let level else { return }
        out.append(0x0A)
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level))
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
