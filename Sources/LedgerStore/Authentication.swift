import AccessModel
import PostgresClient

/// Who an API request acts as: the user of the token that authorised it.
public struct Principal: Sendable, Equatable {
    public var user: UserRecord
    public var token: TokenRecord

    /// `USER/TOKEN`, as events and `audit log --token` name the token.
    public var tokenReference: String { "\(token.username)/\(token.name)" }

    /// Site `owner`, `user-admin` and `auditor` may read everything (SPEC §7).
    public var readsEverything: Bool { user.role.readsEverything }
}

extension Ledger {
    /// The principal of a token secret's SHA-256, or `nil` when the token is unknown, revoked or
    /// expired, or its user is not active; which of these is deliberately not said. One indexed
    /// query (`tokens_secret_idx`).
    public func authenticate(secretSHA256: String) throws -> Principal? {
        try Ledger.mapErrors {
            let rows = try connection.queryPrepared(
                """
                WITH t AS (
                    SELECT \(PostgresLedger.tokenColumns), user_key FROM tokens
                    WHERE secret_sha256 = $1 AND revoked_at IS NULL AND expires_at > clock_timestamp()
                )
                SELECT t.*, u.username, u.kind, u.role, u.status
                FROM t JOIN users u ON u.key = t.user_key
                WHERE u.status = 'active'
                """, [secretSHA256])
            guard let row = rows.first else { return nil }
            let user = UserRecord(
                username: try row.string(8), kind: try PostgresLedger.enumValue(row, 9, as: UserKind.self),
                role: try PostgresLedger.enumValue(row, 10, as: SiteRole.self),
                status: try PostgresLedger.enumValue(row, 11, as: UserStatus.self))
            return Principal(user: user, token: try PostgresLedger.token(row))
        }
    }
}
