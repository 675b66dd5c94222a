import Testing

@testable import AccessModel

/// The canonical encoding written straight from JSON text (`CanonicalJSONText`, what `verify`
/// hashes) against the definition: parse into a `JSONValue`, then `canonicalBytes()`.
@Suite struct CanonicalJSONTextTests {
    /// Generated payloads: nested objects and arrays, strings with every kind of escape,
    /// integers at the edges.
    struct PayloadGenerator {
        var rng: SplitMix64
        /// `\u{0}` cannot be stored in jsonb; the pure tests use it, the database tests do not.
        var allowNUL = true

        static let strings: [String] = [
            "", "alice", "oncall-sre/oncall-workspace", "quote \" and backslash \\", "a\"b\\c\"\"",
            "\u{0}", "nul \u{0} inside", "\u{1}\u{1f}\u{7f}", "\n\r\t\u{8}\u{c}", "\u{b}\u{e}", "\u{2028}\u{2029}",
            "😀 emoji 👩‍👩‍👧", "é", "日本語", "\\u0041 is not an escape here", "/slash/", "\u{feff}bom",
            "\u{10FFFF}", "\u{FFFD}", "\u{85}\u{a0}", "\u{202e}rtl", "key", "KEY", "k", "ke", "a", "b", "aa", "ab",
            "Z", "_", "-", "z\u{e9}", "ze",
        ]
        static let integers: [Int64] = [
            0, 1, -1, 9, 10, -10, 42, -42, 1_000, 999_999_999_999_999_999, -999_999_999_999_999_999,
            1_000_000_000_000_000_000, -1_000_000_000_000_000_000, .max, .min, .max - 1, .min + 1,
        ]

        init(seed: UInt64, allowNUL: Bool = true) {
            rng = SplitMix64(seed: seed)
            self.allowNUL = allowNUL
        }

        mutating func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }

        mutating func string() -> String {
            var text = ""
            for _ in 0..<below(3) + 1 {
                text += PayloadGenerator.strings[below(PayloadGenerator.strings.count)]
            }
            if below(4) == 0 {
                // Any scalar at all, surrogates excepted.
                var scalar: UInt32
                repeat { scalar = UInt32(rng.next() % 0x11_0000) } while (0xD800..<0xE000).contains(scalar)
                if let unicode = Unicode.Scalar(scalar) { text.unicodeScalars.append(unicode) }
            }
            return allowNUL ? text : text.replacingNUL()
        }

        mutating func value(depth: Int = 0) -> JSONValue {
            switch below(depth >= 4 ? 5 : 8) {
            case 0: return .null
            case 1: return .bool(below(2) == 0)
            case 2: return .int(PayloadGenerator.integers[below(PayloadGenerator.integers.count)])
            case 3: return .int(Int64(bitPattern: rng.next()) >> below(64))
            case 4: return .string(string())
            case 5: return .array((0..<below(5)).map { _ in value(depth: depth + 1) })
            default: return object(depth: depth)
            }
        }

        mutating func object(depth: Int = 0) -> JSONValue {
            var members: [String: JSONValue] = [:]
            for _ in 0..<below(7) { members[string()] = value(depth: depth + 1) }
            return .object(members)
        }
    }

    /// The JSON text PostgreSQL prints for `jsonb`: keys shorter first, then by bytes; `", "`
    /// and `": "`; strings escaped as the canonical form escapes them.
    static func jsonbText(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        func write(_ value: JSONValue) {
            switch value {
            case .array(let items):
                out.append(UInt8(ascii: "["))
                for (index, item) in items.enumerated() {
                    if index > 0 { out += Array(", ".utf8) }
                    write(item)
                }
                out.append(UInt8(ascii: "]"))
            case .object(let members):
                out.append(UInt8(ascii: "{"))
                let keys = members.keys.sorted {
                    $0.utf8.count != $1.utf8.count
                        ? $0.utf8.count < $1.utf8.count : $0.utf8.lexicographicallyPrecedes($1.utf8)
                }
                for (index, key) in keys.enumerated() {
                    if index > 0 { out += Array(", ".utf8) }
                    JSONValue.writeString(key, into: &out)
                    out += Array(": ".utf8)
                    if let member = members[key] { write(member) }
                }
                out.append(UInt8(ascii: "}"))
            default:
                value.writeCanonical(into: &out)
            }
        }
        write(value)
        return String(decoding: out, as: UTF8.self)
    }

    /// Valid JSON for the same value written every other way the parser allows: keys in
    /// random order, white space everywhere, `\/`, uppercase `\u00XX`, `\u` escapes of any
    /// character (surrogate pairs beyond the BMP).
    static func messyText(_ value: JSONValue, _ rng: inout SplitMix64) -> String {
        func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        func space() -> String { ["", " ", "\n", "\t", "\r\n  ", ""][below(6)] }
        func hex(_ value: UInt32) -> String {
            let digits = String(value, radix: 16, uppercase: below(2) == 0)
            return String(repeating: "0", count: 4 - digits.count) + digits
        }
        func string(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch (scalar, below(3)) {
                case ("/", 0): out += "\\/"
                case (_, 0) where scalar.value < 0x10000: out += "\\u" + hex(scalar.value)
                case (_, 0):
                    let offset = scalar.value - 0x10000
                    out += "\\u" + hex(0xD800 + (offset >> 10)) + "\\u" + hex(0xDC00 + (offset & 0x3FF))
                case ("\"", _): out += "\\\""
                case ("\\", _): out += "\\\\"
                case (_, _) where scalar.value < 0x20: out += "\\u" + hex(scalar.value)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        func write(_ value: JSONValue) -> String {
            switch value {
            case .string(let text): return string(text)
            case .array(let items):
                return "[" + space() + items.map { write($0) + space() }.joined(separator: "," + space()) + "]"
            case .object(let members):
                var keys = Array(members.keys)
                keys.shuffle(using: &rng)
                let written = keys.map { space() + string($0) + space() + ":" + space() + write(members[$0] ?? .null) }
                return "{" + written.joined(separator: "," + space()) + space() + "}"
            default: return value.canonicalString
            }
        }
        return space() + write(value) + space()
    }

    /// The definition: the bytes of the parsed tree, or the parser's error.
    static func definition(_ text: [UInt8]) -> Result<[UInt8], JSONParseError> {
        Result { try JSONValue.parse(String(decoding: text, as: UTF8.self)).canonicalBytes() }
            .mapError { $0 as? JSONParseError ?? JSONParseError(offset: -1, reason: "\($0)") }
    }

    static func fast(_ text: [UInt8]) -> Result<[UInt8], JSONParseError> {
        var writer = CanonicalJSONText()
        var out: [UInt8] = [7]  // something before, to show it appends
        do {
            try text.withUnsafeBufferPointer { try writer.write($0, into: &out) }
        } catch let error as JSONParseError {
            return .failure(error)
        } catch {
            return .failure(JSONParseError(offset: -1, reason: "\(error)"))
        }
        #expect(out.first == 7)
        return .success(Array(out.dropFirst()))
    }

    static func fastPathTakes(_ text: String) -> Bool {
        var writer = CanonicalJSONText()
        var out: [UInt8] = []
        return Array(text.utf8).withUnsafeBufferPointer { writer.writeFast($0, into: &out) }
    }

    @Test(arguments: 0..<4)
    func postgresShapedTextTakesTheFastPathToTheSameBytes(chunk: Int) {
        var generator = PayloadGenerator(seed: UInt64(chunk) &* 7919 &+ 1)
        for _ in 0..<500 {
            let value = generator.object()
            let text = Self.jsonbText(value)
            // Keys with escapes are sorted by the parser (payload keys are plain identifiers).
            #expect(Self.fastPathTakes(text) == value.keysNeedNoEscape, "\(text)")
            #expect(Self.fast(Array(text.utf8)) == .success(value.canonicalBytes()), "\(text)")
            #expect(Self.definition(Array(text.utf8)) == .success(value.canonicalBytes()), "\(text)")
        }
    }

    @Test(arguments: 0..<4)
    func anyTextOfTheSameValueGivesTheSameBytes(chunk: Int) {
        var generator = PayloadGenerator(seed: UInt64(chunk) &* 104_729 &+ 3)
        var rng = SplitMix64(seed: UInt64(chunk) &+ 99)
        for _ in 0..<500 {
            let value = generator.value()
            let text = Array(Self.messyText(value, &rng).utf8)
            #expect(Self.fast(text) == .success(value.canonicalBytes()), "\(String(decoding: text, as: UTF8.self))")
        }
    }

    @Test(arguments: [
        (#"{}"#, #"{}"#),
        (#" [ ] "#, #"[]"#),
        (#"{"b": 1, "a": {"d": [], "c": {}}}"#, #"{"a":{"c":{},"d":[]},"b":1}"#),
        (
            #"{"aa": 1, "b": 2, "a": 3, "ab": 4, "B": 5, "é": 6, "z": 7}"#,
            #"{"B":5,"a":3,"aa":1,"ab":4,"b":2,"z":7,"é":6}"#
        ),
        (#"{"a": 1, "a": 2}"#, #"{"a":2}"#),
        (#"{"a\"": 1, "a": 2}"#, #"{"a":2,"a\"":1}"#),
        (#"{"\u0041": 1, "B": 2}"#, #"{"A":1,"B":2}"#),
        (
            #"["\u0000", "\u001f", "\u001F", "\u0008\u0009\u000a\u000c\u000d"]"#,
            #"["\u0000","\u001f","\u001f","\b\t\n\f\r"]"#
        ),
        (#"["\u2028\u2029", "\ud83d\ude00", "😀", "\/"]"#, "[\"\u{2028}\u{2029}\",\"😀\",\"😀\",\"/\"]"),
        (#"["quote \" backslash \\ tab \t"]"#, #"["quote \" backslash \\ tab \t"]"#),
        (#"[0, -0, 007, -007, -0012]"#, #"[0,0,7,-7,-12]"#),
        (#"[9223372036854775807, -9223372036854775808]"#, #"[9223372036854775807,-9223372036854775808]"#),
        (
            #"[1000000000000000000, -1000000000000000000, 9223372036854775799, -9223372036854775799]"#,
            #"[1000000000000000000,-1000000000000000000,9223372036854775799,-9223372036854775799]"#
        ),
        (#"[true, false, null]"#, #"[true,false,null]"#),
        ("\"raw\u{1}control\"", #""raw\u0001control""#),
        (#"  "top level"  "#, #""top level""#),
    ])
    func fixedTexts(_ text: String, _ expected: String) {
        let definition = Self.definition(Array(text.utf8))
        #expect(Self.fast(Array(text.utf8)) == definition)
        #expect(definition == .success(Array(expected.utf8)))
    }

    /// Everything the parser refuses is refused with the parser's own error.
    @Test(arguments: [
        "", " ", "1.0", "1e3", "1E3", "-", "--1", "99999999999999999999", "9223372036854775808", "18446744073709551615",
        "9300000000000000000", "-9223372036854775810",
        "10000000000000000000",
        "-9223372036854775809", "{", "}", "[1,]", "[,1]", #"{"a":1,}"#, #"{,}"#, #"{"a" 1}"#, #"{"a":}"#,
        #"{a:1}"#, "[1 2]", "nul", "nulll", "tru", "[true false]", #""unterminated"#, #""\x""#, #""\u12""#,
        #""\uzzzz""#, #""\ud800""#, #""\ud800\u0041""#, #""\udc00""#, "{} x", "[] []", #"{"a":1}}"#, "'a'",
        "[1.5]", #"{"n": 1.0}"#, #"{"n": 10e2}"#, "+1", ".5", "0x10", "[01.0]",
    ])
    func refusesWhatTheParserRefuses(_ text: String) {
        let definition = Self.definition(Array(text.utf8))
        guard case .failure = definition else {
            Issue.record("the parser accepts \(text)")
            return
        }
        #expect(Self.fast(Array(text.utf8)) == definition)
    }

    /// Bytes that are not UTF-8 go the way `String(decoding:)` takes them (U+FFFD).
    @Test func illFormedUTF8IsRepairedAsTheParserSeesIt() {
        let texts: [[UInt8]] = [
            [0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xE2, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
            [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x7B, 0x22, 0xFE, 0x22, 0x3A, 0x31, 0x7D],
            [0x5B, 0xE2, 0x5D],
        ]
        for text in texts {
            #expect(Self.fast(text) == Self.definition(text), "\(text)")
            #expect(
                !text.withUnsafeBufferPointer { buffer in
                    var writer = CanonicalJSONText()
                    var out: [UInt8] = []
                    return writer.writeFast(buffer, into: &out)
                })
        }
    }

    @Test func deepNestingGoesToTheParser() {
        let depth = CanonicalJSONText.maximumDepth + 10
        let text = String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
        #expect(!Self.fastPathTakes(text))
        #expect(Self.fast(Array(text.utf8)) == Self.definition(Array(text.utf8)))
        let shallow = String(repeating: "[", count: 100) + "1" + String(repeating: "]", count: 100)
        #expect(Self.fastPathTakes(shallow))
    }

    @Test func canonicalTimesAreWrittenAsTheirStrings() {
        var rng = SplitMix64(seed: 42)
        var values: [Int64] = [
            0, -1, 1, 999_999, 1_000_000, -86_400_000_000, 253_402_300_799_999_999, 253_402_300_800_000_000,
            -62_167_219_200_000_000, -62_167_219_200_000_001, 1_767_323_045_000_006, .max / 2, .min / 2,
        ]
        for _ in 0..<5_000 { values.append(Int64(bitPattern: rng.next()) % 400_000_000_000_000_000) }
        for value in values {
            let time = Timestamp(microseconds: value)
            var out: [UInt8] = [1]
            time.writeCanonical(into: &out)
            #expect(Array(out.dropFirst()) == Array(time.canonical.utf8), "\(value)")
        }
    }
}

extension JSONValue {
    /// No key, at any depth, has a character the canonical form escapes.
    var keysNeedNoEscape: Bool {
        switch self {
        case .array(let items): return items.allSatisfy(\.keysNeedNoEscape)
        case .object(let members):
            return members.allSatisfy { key, value in
                !key.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
                    && value.keysNeedNoEscape
            }
        default: return true
        }
    }
}

extension String {
    fileprivate func replacingNUL() -> String {
        String(String.UnicodeScalarView(unicodeScalars.filter { $0.value != 0 }))
    }
}
