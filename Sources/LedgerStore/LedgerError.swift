import PostgresClient

/// Why a ledger operation failed, mapped to the exit codes of SPEC §5 in one place.
public enum LedgerError: Error, Equatable, CustomStringConvertible {
    /// Bad input: usage, malformed name/role/query, unknown user/group/workspace (exit 2).
    case invalidInput(String)
    /// Refused by the rules of SPEC §2 (exit 3).
    case notPermitted(String)
    /// A conflicting concurrent change; retrying gave up (exit 4).
    case conflict(String)
    /// The log or the projections failed verification (exit 5).
    case verificationFailed(String)
    /// The database failed or something broke inside (exit 1).
    case database(String)
    case `internal`(String)

    public var exitCode: Int32 {
        switch self {
        case .invalidInput: return 2
        case .notPermitted: return 3
        case .conflict: return 4
        case .verificationFailed: return 5
        case .database, .internal: return 1
        }
    }

    public var description: String {
        switch self {
        case .invalidInput(let m), .notPermitted(let m), .conflict(let m), .verificationFailed(let m),
            .database(let m), .internal(let m):
            return m
        }
    }

    /// Wraps a database error, classifying conflicts.
    public init(_ error: PostgresError) {
        if error.isRetryable || error.isUniqueViolation {
            self = .conflict(error.description)
        } else {
            self = .database(error.description)
        }
    }
}
