/// An API token as the projections keep it. The secret itself is never stored, only its hash.
public struct TokenRecord: Sendable, Hashable {
    /// The user the token belongs to (username as stored).
    public var username: String
    /// The token name as written.
    public var name: String
    /// The lifetime in seconds.
    public var lifetimeSeconds: Int64
    /// Lowercase hex SHA-256 of the secret.
    public var secretSHA256: String
    /// When it was created (the event's `occurred_at`).
    public var createdAt: Timestamp
    /// ``createdAt`` plus the lifetime.
    public var expiresAt: Timestamp
    /// When it was revoked (explicitly, or by deleting its user); `nil` while valid.
    public var revokedAt: Timestamp?

    /// A token record.
    public init(
        username: String, name: String, lifetimeSeconds: Int64, secretSHA256: String, createdAt: Timestamp,
        expiresAt: Timestamp, revokedAt: Timestamp? = nil
    ) {
        self.username = username
        self.name = name
        self.lifetimeSeconds = lifetimeSeconds
        self.secretSHA256 = secretSHA256
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// The key of ``username``.
    public var userKey: String { Name.key(username) }
    /// The key of ``name``.
    public var nameKey: String { Name.key(name) }
    /// Whether the token has been revoked.
    public var isRevoked: Bool { revokedAt != nil }
}
