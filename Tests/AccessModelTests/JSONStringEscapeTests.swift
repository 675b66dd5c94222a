import Testing

@testable import AccessModel

/// `JSONValue.writeString` (every string of every hashed event and of every JSON output) against
/// the escaping rule as the README states it, written here per Unicode scalar.
@Suite struct JSONStringEscapeTests {
    /// The rule: `"` and `\` escaped, `\n \r \t \b \f` by name, other controls below U+0020 as
    /// `\u00xx` (lowercase hex), everything else as it is.
    static func reference(_ s: String) -> [UInt8] {
        var text = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\u{8}": text += "\\b"
            case "\u{c}": text += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        return Array((text + "\"").utf8)
    }

    static let pieces: [String] = [
        "a", "workspace", "\"", "\\", "\n", "\r", "\t", "\u{8}", "\u{c}", "\u{0}", "\u{1}", "\u{1f}", "\u{7f}",
        " ", "é", "日本", "😀", "\u{2028}", "\u{feff}", "\\u0041", "/", "\u{10FFFF}",
    ]

    @Test(arguments: 0..<4)
    func everyStringIsEscapedByTheRuleWhateverItsStorage(chunk: Int) {
        var rng = SplitMix64(seed: UInt64(chunk) &* 31 &+ 7)
        for round in 0..<500 {
            let length = round == 0 ? 0 : Int(rng.next() % 40)
            let s = (0..<length).map { _ in Self.pieces[Int(rng.next() % UInt64(Self.pieces.count))] }.joined()
            let expected = Self.reference(s)
            let prefix: [UInt8] = Array("x,".utf8)
            var contiguous = prefix
            JSONValue.writeString(s, into: &contiguous)
            #expect(contiguous == prefix + expected, "\(Array(s.utf8))")
            var bytes: [UInt8] = []
            JSONValue.writeString(utf8: Array(s.utf8)[...], into: &bytes)
            #expect(bytes == expected)
            // A sequence without contiguous storage takes the byte-by-byte path.
            var sequence: [UInt8] = []
            JSONValue.writeString(utf8: AnySequence(s.utf8), into: &sequence)
            #expect(sequence == expected)
            #expect(JSONValue.string(s).canonicalBytes() == expected)
        }
    }
}
