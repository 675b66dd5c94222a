import AccessModel
import Crypto
import LedgerStore
import PostgresClient

/// An `Idempotency-Key` (SPEC §7): the same key sent again by the same token within 24 hours,
/// after the first request succeeded, answers the first answer again and appends nothing; the
/// same key with another request is a conflict. Kept in PostgreSQL (`idempotency_keys`), in the
/// transaction of the command itself, so a key is stored exactly when its command commits and
/// holds across restarts of the service.
struct IdempotencyKey: Sendable, Equatable {
    static let lifetimeHours = 24

    var key: String
    /// SHA-256 of the method, the path and the body: what "the same request" means.
    var requestSHA256: String

    /// Parses the header: 1–128 printable ASCII characters.
    /// - Throws: ``LedgerError/invalidInput(_:)`` naming the value.
    init(header: String, method: String, path: String, body: [UInt8]) throws {
        guard (1...128).contains(header.utf8.count), header.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw LedgerError.invalidInput(
                "invalid Idempotency-Key \(DisplayText.quoted(String(header.prefix(140)))): "
                    + "expected 1 to 128 printable ASCII characters")
        }
        key = header
        var hasher = SHA256()
        hasher.update(data: Array("\(method) \(path)\n".utf8))
        hasher.update(data: body)
        requestSHA256 = Hex.encode(hasher.finalize())
    }

    /// The first answer to this key by this token, when it is younger than 24 hours.
    /// - Throws: ``LedgerError/conflict(_:)`` when the key was used for another request.
    func lookUp(on connection: Connection, for principal: Principal) throws -> MutationAnswer? {
        let row = try connection.query(
            """
            SELECT request_sha256, status, body FROM idempotency_keys
            WHERE token_key = $1 AND key = $2 AND created_at > clock_timestamp() - make_interval(hours => $3)
            """, [principal.tokenReference.lowercased(), key, Int64(IdempotencyKey.lifetimeHours)]
        ).first
        guard let row else { return nil }
        guard try row.string(0) == requestSHA256 else {
            throw LedgerError.conflict(
                "Idempotency-Key \(DisplayText.quoted(key)) was already used for another request")
        }
        return MutationAnswer(status: Int(try row.int64(1)), body: try row.string(2), outcome: nil, replayed: true)
    }

    /// Stores the answer (replacing an expired use of the same key).
    func store(status: Int, body: String, on connection: Connection, for principal: Principal) throws {
        let tokenKey = principal.tokenReference.lowercased()
        try connection.query("DELETE FROM idempotency_keys WHERE token_key = $1 AND key = $2", [tokenKey, key])
        try connection.query(
            """
            INSERT INTO idempotency_keys (token_key, key, request_sha256, status, body, created_at)
            VALUES ($1, $2, $3, $4, $5, clock_timestamp())
            """, [tokenKey, key, requestSHA256, Int64(status), body])
    }
}
