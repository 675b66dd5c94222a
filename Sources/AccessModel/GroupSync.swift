/// What one IdP login reported for a user's groups, and what it changed (`group_synced`).
public struct GroupSync: Sendable, Hashable {
    /// The user who logged in (username as stored).
    public var username: String
    /// The group names the IdP claimed, as given.
    public var claimed: [String]
    /// Groups the user joined (names as stored), sorted by key.
    public var added: [String]
    /// Groups the user left, including manual memberships not claimed (names as stored), sorted by key.
    public var removed: [String]
    /// Claimed names that matched no existing group and were not created, as given, sorted by key.
    public var ignored: [String]
    /// Claimed names created as `idp` groups by `--create-missing` (each also has its own
    /// `group_created` event just before), sorted by key. They are also in ``added``.
    public var created: [String]

    /// A sync report.
    public init(
        username: String, claimed: [String], added: [String], removed: [String], ignored: [String] = [],
        created: [String] = []
    ) {
        self.username = username
        self.claimed = claimed
        self.added = added
        self.removed = removed
        self.ignored = ignored
        self.created = created
    }
}
