/// The canonical encoding of a JSON *text*, written straight from the text: the same bytes as
/// `JSONValue.parse(text).canonicalBytes()`, without building the ``JSONValue`` tree.
///
/// `verify` hashes every event's `data` as PostgreSQL prints it (`data::text`). That text is
/// almost canonical already: PostgreSQL escapes strings exactly as the canonical form does
/// (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other controls as lowercase `\u00xx`, everything
/// else literally) and prints integers in plain decimal. It differs in white space (`", "`,
/// `": "`) and in key order (jsonb sorts keys by length first). So the fast path copies each
/// token and re-sorts the members of each object.
///
/// **Why the bytes are the same.** The fast path accepts only a subset of what
/// ``JSONValue/parse(_:rejectingDuplicateKeys:)`` accepts, and declines everything else, which
/// then goes through the parser and ``JSONValue/canonicalBytes()`` (so anything the parser
/// rejects is rejected with the parser's own error). On that subset every token is already its
/// own canonical encoding:
/// - a string whose escapes are only the ones the canonical form writes, in its spelling (no
///   `\/`, no `\u` other than lowercase `\u00xx` for a control without a short escape), with no
///   raw control character and only well-formed UTF-8: decoding it and writing it again with
///   ``JSONValue/writeCanonical(into:)`` gives back the same bytes;
/// - an integer without a leading zero, not `-0`, within `Int64` (at most 19 digits, compared
///   with the bounds digit by digit): `String(Int64(token)!)` is the token;
/// - `true`, `false`, `null`;
/// - an object whose keys contain no escape at all (so the key's bytes are its UTF-8, the order
///   ``JSONValue/writeCanonical(into:)`` sorts by) and no key twice (the parser would keep the
///   last one); the members are written sorted by those bytes.
/// White space is dropped where the parser skips it; anything else (a trailing comma, a
/// fraction, text after the value, nesting deeper than 256) declines.
public struct CanonicalJSONText {
    /// One member of an object being written: its key (offsets into the text) and where
    /// `"key":value` landed in the output.
    private struct Member {
        var keyStart: Int
        var keyCount: Int
        var outputStart: Int
        var outputEnd: Int
    }

    /// Members of the objects being written, innermost last (reused between texts).
    private var members: [Member] = []
    /// Where an object's members are copied while they are written again in order.
    private var scratch: [UInt8] = []

    /// Deeper texts decline to the parser (which has no limit of its own).
    static let maximumDepth = 256

    public init() {}

    /// Appends the canonical encoding of the JSON `text` to `out`.
    /// - Throws: ``JSONParseError``, exactly as ``JSONValue/parse(_:rejectingDuplicateKeys:)``
    ///   throws it for `String(decoding: text, as: UTF8.self)`.
    public mutating func write(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) throws {
        if writeFast(text, into: &out) { return }
        try JSONValue.parse(String(decoding: text, as: UTF8.self)).writeCanonical(into: &out)
    }

    /// The canonical bytes of the JSON `text` (see ``write(_:into:)``).
    public static func canonicalBytes(of text: String) throws -> [UInt8] {
        var text = text
        var writer = CanonicalJSONText()
        var out: [UInt8] = []
        try text.withUTF8 { try writer.write($0, into: &out) }
        return out
    }

    /// The fast path alone: appends the canonical encoding of `text` and returns `true`, or
    /// leaves `out` as it was and returns `false` when `text` is outside the subset it handles
    /// (see the type's documentation).
    public mutating func writeFast(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        let start = out.count
        members.removeAll(keepingCapacity: true)
        guard let base = text.baseAddress else { return false }
        var reader = Reader(bytes: base, count: text.count)
        if value(&reader, into: &out, depth: 0) {
            reader.skipWhitespace()
            if reader.index == reader.count { return true }
        }
        out.removeSubrange(start...)
        return false
    }

    private struct Reader {
        let bytes: UnsafePointer<UInt8>
        let count: Int
        var index = 0

        var atEnd: Bool { index >= count }
        var current: UInt8 { bytes[index] }

        mutating func skipWhitespace() {
            while index < count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        func hasLiteral(_ literal: StaticString) -> Bool {
            let length = literal.utf8CodeUnitCount
            guard index + length <= count else { return false }
            for offset in 0..<length where bytes[index + offset] != literal.utf8Start[offset] { return false }
            return true
        }

        /// Moves past a string token in canonical spelling; `false` when it is not one (or, with
        /// `plain`, when it has any escape at all).
        mutating func skipCanonicalString(plain: Bool) -> Bool {
            index += 1
            while index < count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    return true
                }
                if byte == UInt8(ascii: "\\") {
                    guard !plain, index + 1 < count else { return false }
                    switch bytes[index + 1] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "n"), UInt8(ascii: "r"),
                        UInt8(ascii: "t"), UInt8(ascii: "b"), UInt8(ascii: "f"):
                        index += 2
                    case UInt8(ascii: "u"):
                        // Only `\u00xx` with lowercase hex, for a control without a short escape.
                        guard index + 5 < count, bytes[index + 2] == UInt8(ascii: "0"),
                            bytes[index + 3] == UInt8(ascii: "0")
                        else { return false }
                        let high = bytes[index + 4]
                        let low = bytes[index + 5]
                        let lowValue: UInt8
                        switch low {
                        case UInt8(ascii: "0")...UInt8(ascii: "9"): lowValue = low - UInt8(ascii: "0")
                        case UInt8(ascii: "a")...UInt8(ascii: "f"): lowValue = low - UInt8(ascii: "a") + 10
                        default: return false
                        }
                        switch high {
                        case UInt8(ascii: "0"):
                            // \b \t \n \f \r have short escapes.
                            if [0x08, 0x09, 0x0A, 0x0C, 0x0D].contains(lowValue) { return false }
                        case UInt8(ascii: "1"): break
                        default: return false
                        }
                        index += 6
                    default:
                        return false
                    }
                    continue
                }
                if byte < 0x20 { return false }
                if byte < 0x80 {
                    index += 1
                    continue
                }
                guard let length = Reader.wellFormedUTF8(bytes, at: index, count: count) else { return false }
                index += length
            }
            return false
        }

        /// The length of the well-formed UTF-8 sequence at `index` (Unicode's table 3-7), or
        /// `nil`: the parser would have replaced an ill-formed one with U+FFFD.
        static func wellFormedUTF8(_ bytes: UnsafePointer<UInt8>, at index: Int, count: Int) -> Int? {
            let lead = bytes[index]
            func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
                index + offset < count && range.contains(bytes[index + offset])
            }
            switch lead {
            case 0xC2...0xDF:
                return continuation(1) ? 2 : nil
            case 0xE0:
                return continuation(1, 0xA0...0xBF) && continuation(2) ? 3 : nil
            case 0xE1...0xEC, 0xEE...0xEF:
                return continuation(1) && continuation(2) ? 3 : nil
            case 0xED:
                return continuation(1, 0x80...0x9F) && continuation(2) ? 3 : nil
            case 0xF0:
                return continuation(1, 0x90...0xBF) && continuation(2) && continuation(3) ? 4 : nil
            case 0xF1...0xF3:
                return continuation(1) && continuation(2) && continuation(3) ? 4 : nil
            case 0xF4:
                return continuation(1, 0x80...0x8F) && continuation(2) && continuation(3) ? 4 : nil
            default:
                return nil
            }
        }

        /// Moves past an integer in canonical spelling; `false` when it is not one.
        mutating func skipCanonicalInteger() -> Bool {
            var digitsStart = index
            if bytes[index] == UInt8(ascii: "-") {
                digitsStart += 1
            }
            var end = digitsStart
            while end < count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]) { end += 1 }
            let digits = end - digitsStart
            guard digits > 0, digits <= 19 else { return false }
            if bytes[digitsStart] == UInt8(ascii: "0") {
                // "0" only: no leading zero, no "-0".
                guard digits == 1, digitsStart == index else { return false }
            }
            if digits == 19 {
                // Within Int64: at most 9223372036854775807, or ...808 when negative.
                let limit: StaticString = digitsStart == index ? "9223372036854775807" : "9223372036854775808"
                for offset in 0..<19 where bytes[digitsStart + offset] != limit.utf8Start[offset] {
                    guard bytes[digitsStart + offset] < limit.utf8Start[offset] else { return false }
                    break
                }
            }
            index = end
            return true
        }
    }

    private func copy(_ reader: Reader, from start: Int, into out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: reader.bytes + start, count: reader.index - start))
    }

    private mutating func value(_ reader: inout Reader, into out: inout [UInt8], depth: Int) -> Bool {
        reader.skipWhitespace()
        guard !reader.atEnd else { return false }
        let start = reader.index
        switch reader.current {
        case UInt8(ascii: "\""):
            guard reader.skipCanonicalString(plain: false) else { return false }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard reader.skipCanonicalInteger() else { return false }
        case UInt8(ascii: "t"):
            guard reader.hasLiteral("true") else { return false }
            reader.index += 4
        case UInt8(ascii: "f"):
            guard reader.hasLiteral("false") else { return false }
            reader.index += 5
        case UInt8(ascii: "n"):
            guard reader.hasLiteral("null") else { return false }
            reader.index += 4
        case UInt8(ascii: "["):
            return depth < CanonicalJSONText.maximumDepth && array(&reader, into: &out, depth: depth + 1)
        case UInt8(ascii: "{"):
            return depth < CanonicalJSONText.maximumDepth && object(&reader, into: &out, depth: depth + 1)
        default:
            return false
        }
        copy(reader, from: start, into: &out)
        return true
    }

    private mutating func array(_ reader: inout Reader, into out: inout [UInt8], depth: Int) -> Bool {
        reader.index += 1
        out.append(UInt8(ascii: "["))
        reader.skipWhitespace()
        if !reader.atEnd, reader.current == UInt8(ascii: "]") {
            reader.index += 1
            out.append(UInt8(ascii: "]"))
            return true
        }
        while true {
            guard value(&reader, into: &out, depth: depth) else { return false }
            reader.skipWhitespace()
            guard !reader.atEnd else { return false }
            switch reader.current {
            case UInt8(ascii: ","):
                reader.index += 1
                out.append(UInt8(ascii: ","))
            case UInt8(ascii: "]"):
                reader.index += 1
                out.append(UInt8(ascii: "]"))
                return true
            default:
                return false
            }
        }
    }

    private mutating func object(_ reader: inout Reader, into out: inout [UInt8], depth: Int) -> Bool {
        reader.index += 1
        out.append(UInt8(ascii: "{"))
        let bodyStart = out.count
        reader.skipWhitespace()
        if !reader.atEnd, reader.current == UInt8(ascii: "}") {
            reader.index += 1
            out.append(UInt8(ascii: "}"))
            return true
        }
        let base = members.count
        while true {
            reader.skipWhitespace()
            guard !reader.atEnd, reader.current == UInt8(ascii: "\"") else { return false }
            let keyToken = reader.index
            guard reader.skipCanonicalString(plain: true) else { return false }
            let keyCount = reader.index - keyToken - 2
            let memberStart = out.count
            copy(reader, from: keyToken, into: &out)
            reader.skipWhitespace()
            guard !reader.atEnd, reader.current == UInt8(ascii: ":") else { return false }
            reader.index += 1
            out.append(UInt8(ascii: ":"))
            guard value(&reader, into: &out, depth: depth) else { return false }
            members.append(
                Member(keyStart: keyToken + 1, keyCount: keyCount, outputStart: memberStart, outputEnd: out.count))
            reader.skipWhitespace()
            guard !reader.atEnd else { return false }
            switch reader.current {
            case UInt8(ascii: ","):
                reader.index += 1
                out.append(UInt8(ascii: ","))
            case UInt8(ascii: "}"):
                reader.index += 1
                defer { members.removeSubrange(base...) }
                guard sortMembers(from: base, bodyStart: bodyStart, reader: reader, out: &out) else { return false }
                out.append(UInt8(ascii: "}"))
                return true
            default:
                return false
            }
        }
    }

    /// Rewrites the members `members[base...]`, written from `bodyStart` on, in key order;
    /// `false` for a key named twice.
    private mutating func sortMembers(from base: Int, bodyStart: Int, reader: Reader, out: inout [UInt8]) -> Bool {
        let bytes = reader.bytes
        /// -1, 0, 1 as the keys' bytes compare (a prefix first).
        func compare(_ a: Member, _ b: Member) -> Int {
            let common = min(a.keyCount, b.keyCount)
            for offset in 0..<common {
                let x = bytes[a.keyStart + offset]
                let y = bytes[b.keyStart + offset]
                if x != y { return x < y ? -1 : 1 }
            }
            return a.keyCount == b.keyCount ? 0 : (a.keyCount < b.keyCount ? -1 : 1)
        }
        var sorted = true
        for index in (base + 1)..<max(base + 1, members.count) {
            let order = compare(members[index - 1], members[index])
            if order == 0 { return false }
            if order > 0 { sorted = false }
        }
        if sorted { return true }
        members[base...].sort { compare($0, $1) < 0 }
        for index in (base + 1)..<members.count where compare(members[index - 1], members[index]) == 0 {
            return false
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: out[bodyStart...])
        out.removeSubrange(bodyStart...)
        for index in base..<members.count {
            if index > base { out.append(UInt8(ascii: ",")) }
            let member = members[index]
            out.append(contentsOf: scratch[(member.outputStart - bodyStart)..<(member.outputEnd - bodyStart)])
        }
        return true
    }
}
