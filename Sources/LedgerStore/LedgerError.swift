import PostgresClient

/// Why a ledger operation failed. Its ``kind`` decides, in one table (``Kind``), the CLI's exit
/// code (SPEC §5) and the HTTP status and error code (SPEC §7).
public enum LedgerError: Error, Equatable, CustomStringConvertible {
    /// Bad input: usage, malformed name/role/query, unknown user/group/workspace (exit 2, 400).
    case invalidInput(String)
    /// An unknown user, group, token or workspace named in an HTTP path (exit 2, 404).
    case notFound(String)
    /// Refused by the rules of SPEC §2 (exit 3, 403).
    case notPermitted(String)
    /// A conflicting concurrent change; retrying gave up (exit 4, 409).
    case conflict(String)
    /// The log or the projections failed verification (exit 5).
    case verificationFailed(String)
    /// The database cannot be reached (exit 1, 503).
    case unavailable(String)
    /// The database refused something it should not have (exit 1, 500).
    case database(String)
    /// Something broke inside (exit 1, 500).
    case `internal`(String)

    /// The kinds of failure, each with its exit code, HTTP status and error code.
    public enum Kind: String, Sendable, CaseIterable {
        case invalidInput = "invalid_input"
        case notFound = "not_found"
        case notPermitted = "not_permitted"
        case conflict = "conflict"
        case verificationFailed = "verification_failed"
        case unavailable = "unavailable"
        case `internal` = "internal"

        /// The `code` of an HTTP error body (SPEC §7 has no code for a failed verification: a
        /// read that meets a tampered event is the server's trouble, `internal`).
        public var code: String { self == .verificationFailed ? Kind.internal.rawValue : rawValue }

        /// The one table of SPEC §5 and §7: (exit code, HTTP status).
        var mapping: (exitCode: Int32, httpStatus: Int) {
            switch self {
            case .invalidInput: return (2, 400)
            case .notFound: return (2, 404)
            case .notPermitted: return (3, 403)
            case .conflict: return (4, 409)
            // A failed verification is an answer over HTTP (`verify` answers 200 with ok: false);
            // when a read meets a tampered event it is the server's trouble, not the client's.
            case .verificationFailed: return (5, 500)
            case .unavailable: return (1, 503)
            case .internal: return (1, 500)
            }
        }

        public var exitCode: Int32 { mapping.exitCode }
        public var httpStatus: Int { mapping.httpStatus }
    }

    public var kind: Kind {
        switch self {
        case .invalidInput: return .invalidInput
        case .notFound: return .notFound
        case .notPermitted: return .notPermitted
        case .conflict: return .conflict
        case .verificationFailed: return .verificationFailed
        case .unavailable: return .unavailable
        case .database, .internal: return .internal
        }
    }

    public var exitCode: Int32 { kind.exitCode }

    public var description: String {
        switch self {
        case .invalidInput(let m), .notFound(let m), .notPermitted(let m), .conflict(let m),
            .verificationFailed(let m), .unavailable(let m), .database(let m), .internal(let m):
            return m
        }
    }

    /// The same failure with `prefix` before its message (e.g. `line 7: ` for a line of an import).
    public func prefixed(_ prefix: String) -> LedgerError {
        switch self {
        case .invalidInput(let m): return .invalidInput(prefix + m)
        case .notFound(let m): return .notFound(prefix + m)
        case .notPermitted(let m): return .notPermitted(prefix + m)
        case .conflict(let m): return .conflict(prefix + m)
        case .verificationFailed(let m): return .verificationFailed(prefix + m)
        case .unavailable(let m): return .unavailable(prefix + m)
        case .database(let m): return .database(prefix + m)
        case .internal(let m): return .internal(prefix + m)
        }
    }

    /// Wraps a database error: a lost or refused connection is `unavailable`, a serialisation
    /// failure or a duplicate key a `conflict`.
    public init(_ error: PostgresError) {
        if error.isRetryable || error.isUniqueViolation {
            self = .conflict(error.description)
        } else if error.kind == .connection || error.sqlState?.hasPrefix("08") == true
            || ["57P01", "57P02", "57P03", "53300"].contains(error.sqlState ?? "")
        {
            self = .unavailable("the database is unavailable: \(error.message)")
        } else {
            self = .database(error.description)
        }
    }
}
