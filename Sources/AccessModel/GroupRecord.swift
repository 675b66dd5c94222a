/// A group as the projections keep it (members are kept apart, see ``LedgerReader``).
public struct GroupRecord: Sendable, Hashable {
    /// The name of the built-in group that every active user belongs to.
    public static let everyoneName = "Everyone"
    /// The key of ``everyoneName``.
    public static let everyoneKey = "everyone"

    /// The built-in `Everyone` group. It is never stored: it always exists, its members are the
    /// active users, and it cannot be created, edited, synced or deleted. It can be shared.
    public static let everyone = GroupRecord(name: everyoneName, source: .manual, isDeleted: false)

    /// The name as first written.
    public var name: String
    /// Manual or created by IdP sync.
    public var source: GroupSource
    /// Whether the group was deleted (kept as a tombstone; the name may be created again).
    public var isDeleted: Bool

    /// A group record.
    public init(name: String, source: GroupSource, isDeleted: Bool = false) {
        self.name = name
        self.source = source
        self.isDeleted = isDeleted
    }

    /// The identity of ``name`` (lowercased).
    public var key: String { Name.key(name) }

    /// Whether this is the built-in `Everyone` group.
    public var isEveryone: Bool { key == GroupRecord.everyoneKey }
}
