/// A user as the projections keep it.
public struct UserRecord: Sendable, Hashable {
    /// The username as first written.
    public var username: String
    /// Person or service account.
    public var kind: UserKind
    /// Site role.
    public var role: SiteRole
    /// Active, suspended or deleted (a deleted user is kept, so its name stays known).
    public var status: UserStatus

    /// A user record.
    public init(username: String, kind: UserKind, role: SiteRole, status: UserStatus) {
        self.username = username
        self.kind = kind
        self.role = role
        self.status = status
    }

    /// The identity of ``username`` (lowercased).
    public var key: String { Name.key(username) }

    /// Whether the user is active (can act, belongs to `Everyone`, can have workspace access).
    public var isActive: Bool { status == .active }
}
