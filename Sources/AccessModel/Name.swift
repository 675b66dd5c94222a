/// A validated name of a user, group, workspace, token or template.
///
/// A name matches `^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$` and has at most 32 characters. Names are
/// compared case-insensitively: ``key`` (ASCII-lowercased) is the identity, ``value`` the spelling
/// as written, which is what is stored and shown. `Name`'s own `==` compares the spelling;
/// compare ``key`` for identity.
public struct Name: Sendable, Hashable, CustomStringConvertible {
    /// The longest name allowed.
    public static let maximumLength = 32

    /// The rule every name follows, as printed in messages.
    public static let ruleDescription =
        "names may contain only letters, digits and single hyphens (at most 32 characters)"

    /// The name as written.
    public let value: String

    /// The identity of the name: ``value`` lowercased.
    public var key: String { Name.key(value) }

    public var description: String { value }

    /// Validates `text` as a name of the given kind.
    /// - Throws: ``Refusal`` (exit 2) naming the value verbatim, e.g.
    ///   `invalid user name "alice_bob": names may contain only letters, …`.
    public init(_ text: String, kind: NameKind) throws(Refusal) {
        guard Name.isValid(text) else {
            throw .invalidInput("invalid \(kind.rawValue) name \(quoted(text)): \(Name.ruleDescription)")
        }
        self.value = text
    }

    /// Whether `text` is a valid name: ASCII letters and digits in runs separated by single
    /// hyphens, 1...32 characters.
    public static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumLength else { return false }
        var previousWasHyphen = true  // a leading hyphen is invalid
        for byte in bytes {
            if byte == UInt8(ascii: "-") {
                if previousWasHyphen { return false }
                previousWasHyphen = true
            } else if isAlphanumeric(byte) {
                previousWasHyphen = false
            } else {
                return false
            }
        }
        return !previousWasHyphen
    }

    /// The identity key of any name-like string: ASCII letters lowercased, everything else kept.
    /// Implementations of ``LedgerReader`` receive keys made by this function.
    public static func key(_ text: String) -> String {
        // Most names are already lowercase: return them as they are, without allocating.
        guard text.utf8.contains(where: { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) else { return text }
        var bytes = Array(text.utf8)
        for index in bytes.indices where (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(bytes[index]) {
            bytes[index] += 32
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
