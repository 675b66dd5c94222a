/// User text (names, reasons, templates, values in error messages) made safe for one line of a
/// terminal or a text table: nothing in it can start a new line, move the cursor, change colours
/// or reorder what follows.
///
/// `\` is doubled and control characters are written as escapes: `\n`, `\r`, `\t`, other C0
/// controls and DEL as `\xNN` (so ESC is `\x1b`), C1 controls, the line and paragraph
/// separators and the bidirectional controls as `\u{NNNN}`. Everything else, non-ASCII letters
/// included, is kept as it is. The escaping is reversible: a literal backslash never looks like
/// an escape.
public enum DisplayText {
    /// `value` with every control character escaped (see ``DisplayText``).
    public static func escaped(_ value: String) -> String {
        guard value.unicodeScalars.contains(where: needsEscape) else { return value }
        var out = ""
        out.reserveCapacity(value.utf8.count + 8)
        for scalar in value.unicodeScalars { append(scalar, to: &out) }
        return out
    }

    /// `value` between double quotes, escaped as ``escaped(_:)`` and with `"` escaped as `\"`:
    /// for naming an offending value in a one-line message.
    public static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            if scalar == "\"" { out += "\\\"" } else { append(scalar, to: &out) }
        }
        return out + "\""
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00..<0x20, 0x5C, 0x7F, 0x80..<0xA0, 0x2028, 0x2029, 0x200E, 0x200F, 0x202A...0x202E,
            0x2066...0x2069, 0x061C:
            return true
        default:
            return false
        }
    }

    static func append(_ scalar: Unicode.Scalar, to out: inout String) {
        guard needsEscape(scalar) else {
            out.unicodeScalars.append(scalar)
            return
        }
        switch scalar {
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            let hex = String(scalar.value, radix: 16)
            if scalar.value < 0x80 {
                out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            } else {
                out += "\\u{" + hex + "}"
            }
        }
    }
}

/// ``DisplayText/quoted(_:)``, for messages in this module.
func quoted(_ value: String) -> String { DisplayText.quoted(value) }
