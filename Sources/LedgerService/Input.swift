import AccessModel
import LedgerStore
import PostgresClient

/// Parsing of the values the CLI's flags and the HTTP service's parameters share. Each takes the
/// name the caller knows the value by (`--at` on the command line, `at` in a query), so the
/// error names both the parameter and the offending value.
public enum Input {
    /// An RFC 3339 time.
    /// - Throws: ``LedgerError/invalidInput(_:)`` naming the value.
    public static func time(_ text: String, name: String) throws -> Timestamp {
        guard let time = Timestamp(rfc3339: text) else {
            throw LedgerError.invalidInput(
                "invalid \(name) \(DisplayText.quoted(text)): expected an RFC 3339 time such as 2026-03-03T02:14:00Z")
        }
        return time
    }

    /// A position of the log (0 or more).
    /// - Throws: ``LedgerError/invalidInput(_:)`` naming the value.
    public static func position(_ text: String, name: String) throws -> Int64 {
        guard let value = Int64(text), value >= 0 else {
            throw LedgerError.invalidInput(
                "invalid \(name) \(DisplayText.quoted(text)): expected a position of the log (0 or more)")
        }
        return value
    }

    /// A head as `verify` prints it: `POSITION:HASH`.
    /// - Throws: ``LedgerError/invalidInput(_:)`` naming the value.
    public static func head(_ text: String, name: String) throws -> (position: Int64, hash: [UInt8]) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let position = Int64(parts[0]), position >= 0, let hash = Hex.decode(parts[1]),
            hash.count == 32
        else {
            throw LedgerError.invalidInput(
                "invalid \(name) \(DisplayText.quoted(text)): expected POSITION:HASH as printed by verify "
                    + "(a position and 64 hex digits)")
        }
        return (position, hash)
    }

    /// The point of the log a read asks about: now, a time or a position, never both.
    /// - Parameter names: how the caller calls the two, e.g. `("--at", "--at-position")`.
    /// - Throws: ``LedgerError/invalidInput(_:)``.
    public static func point(at: String?, atPosition: String?, names: (at: String, position: String)) throws
        -> LogPoint?
    {
        switch (at, atPosition) {
        case (nil, nil): return nil
        case (let text?, nil): return .time(try time(text, name: names.at))
        case (nil, let text?): return .position(try position(text, name: names.position))
        case (.some, .some): throw LedgerError.invalidInput("give either \(names.at) or \(names.position), not both")
        }
    }

    /// A token named as `USER/TOKEN` (`audit log --token`, `token=`).
    /// - Throws: ``LedgerError/invalidInput(_:)`` naming the value.
    public static func tokenReference(_ text: String, name: String) throws -> String {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, Name.isValid(String(parts[0])), Name.isValid(String(parts[1])) else {
            throw LedgerError.invalidInput(
                "invalid \(name) \(DisplayText.quoted(text)): expected USER/TOKEN, two names such as alice/laptop")
        }
        return text
    }

    /// An event type of SPEC §4 (`audit log --type`, `type=`).
    /// - Throws: ``LedgerError/invalidInput(_:)`` naming an unknown type.
    public static func eventType(_ text: String, name: String) throws -> String {
        guard LedgerEventType(rawValue: text) != nil else {
            throw LedgerError.invalidInput(
                "unknown event type \(DisplayText.quoted(text)) for \(name): expected one of "
                    + LedgerEventType.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return text
    }

    /// Whose history a report or `audit history` reads: exactly one of a workspace and a user.
    /// - Parameter names: how the caller calls the two, e.g. `("--workspace", "--user")`.
    /// - Throws: ``LedgerError/invalidInput(_:)`` for neither or both.
    public static func subject(workspace: String?, user: String?, names: (workspace: String, user: String)) throws
        -> AuditHistory.Subject
    {
        switch (workspace, user) {
        case (let workspace?, nil): return .workspace(workspace)
        case (nil, let user?): return .user(user)
        default: throw LedgerError.invalidInput("give exactly one of \(names.workspace) or \(names.user)")
        }
    }
}
