import AccessModel
import LedgerStore

/// One line of an `accessledger import` file: a mutating command's arguments, who ran it, when
/// and why: `{"argv": [ARG, …], "as": USER, "occurred_at": TIME, "reason": TEXT?}`.
///
/// Exactly those keys: `argv` (a non-empty array of strings), `as` (a string), `occurred_at` (an
/// RFC 3339 time, parsed as `--occurred-at` is) are required, `reason` is a string, `null` or
/// absent. Anything else is malformed (exit 2).
public struct ImportLine: Sendable, Equatable {
    /// The command's arguments, without `accessledger` (and without `--as`, `--reason` and
    /// `--occurred-at`, which the caller checks once they are parsed).
    public var argv: [String]
    /// `as`: the acting user.
    public var actor: String
    public var occurredAt: Timestamp
    public var reason: String?

    /// The keys a line has.
    public static let keys = ["argv", "as", "occurred_at", "reason"]

    public init(argv: [String], actor: String, occurredAt: Timestamp, reason: String?) {
        self.argv = argv
        self.actor = actor
        self.occurredAt = occurredAt
        self.reason = reason
    }

    /// Whether `bytes` holds nothing but white space (such a line is skipped).
    public static func isBlank(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.allSatisfy { [0x20, 0x09, 0x0D].contains($0) }
    }

    /// Parses one line (without its newline).
    /// - Throws: ``LedgerError/invalidInput(_:)`` naming the offending field or value (the
    ///   caller adds the line number).
    public static func parse(_ bytes: [UInt8]) throws -> ImportLine {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw LedgerError.invalidInput(
                "the line is not valid UTF-8: it is refused rather than recorded with replacement characters")
        }
        let value: JSONValue
        do { value = try JSONValue.parse(text, rejectingDuplicateKeys: true) } catch let error as JSONParseError {
            throw LedgerError.invalidInput("\(error) in \(excerpt(text))")
        }
        guard case .object(let members) = value else {
            throw LedgerError.invalidInput(
                "expected a JSON object {\"argv\": [ARG, …], \"as\": USER, \"occurred_at\": TIME, \"reason\": TEXT?}, "
                    + "not \(excerpt(value.canonicalString))")
        }
        if let unknown = members.keys.sorted().first(where: { !keys.contains($0) }) {
            throw LedgerError.invalidInput(
                "unknown field \(DisplayText.quoted(unknown)) (a line has: \(keys.joined(separator: ", ")))")
        }
        func required(_ key: String) throws -> JSONValue {
            guard let value = members[key] else {
                throw LedgerError.invalidInput("field \(DisplayText.quoted(key)) is required")
            }
            return value
        }
        func wrongType(_ key: String, _ expected: String, _ value: JSONValue) -> LedgerError {
            .invalidInput(
                "field \(DisplayText.quoted(key)) must be \(expected), not \(excerpt(value.canonicalString))")
        }
        let argvValue = try required("argv")
        guard case .array(let items) = argvValue else { throw wrongType("argv", "an array of strings", argvValue) }
        let argv = try items.map { item in
            guard case .string(let argument) = item else { throw wrongType("argv", "an array of strings", argvValue) }
            return argument
        }
        guard !argv.isEmpty else {
            throw LedgerError.invalidInput(
                "field \"argv\" is empty: it must hold a command that changes the ledger, e.g. "
                    + "[\"sharing\", \"share\", \"owner/name\", \"--user\", \"alice\"]")
        }
        let actorValue = try required("as")
        guard case .string(let actor) = actorValue else { throw wrongType("as", "a username", actorValue) }
        let timeValue = try required("occurred_at")
        guard case .string(let timeText) = timeValue else {
            throw wrongType("occurred_at", "an RFC 3339 time", timeValue)
        }
        let occurredAt = try Input.time(timeText, name: "occurred_at")
        let reason: String?
        switch members["reason"] {
        case nil, .null?: reason = nil
        case .string(let text)?: reason = text
        case let other?: throw wrongType("reason", "a string or null", other)
        }
        return ImportLine(argv: argv, actor: actor, occurredAt: occurredAt, reason: reason)
    }

    /// At most the first 80 characters of `text`, quoted and escaped, to name a bad value.
    static func excerpt(_ text: String) -> String {
        text.count <= 80 ? DisplayText.quoted(text) : DisplayText.quoted(String(text.prefix(80))) + "…"
    }
}
