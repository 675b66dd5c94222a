/// A workspace's access control list: users and groups with roles.
public struct WorkspaceACL: Sendable, Hashable {
    /// Direct user entries, sorted by username key.
    public var users: [ShareEntry]
    /// Group entries, sorted by group name key (may include `Everyone`).
    public var groups: [ShareEntry]

    /// An ACL; the entries are sorted by key.
    public init(users: [ShareEntry] = [], groups: [ShareEntry] = []) {
        self.users = users.sorted { $0.key < $1.key }
        self.groups = groups.sorted { $0.key < $1.key }
    }

    /// Whether the ACL has no entry at all (`shared:false`).
    public var isEmpty: Bool { users.isEmpty && groups.isEmpty }

    /// Sets `entry` in `list` (``users`` or ``groups``): replaces the entry with its key, or
    /// inserts it in key order.
    public mutating func set(_ entry: ShareEntry, in list: WritableKeyPath<WorkspaceACL, [ShareEntry]>) {
        let key = entry.key
        if let index = self[keyPath: list].firstIndex(where: { $0.key == key }) {
            self[keyPath: list][index] = entry
        } else {
            self[keyPath: list].insert(
                entry, at: self[keyPath: list].firstIndex { $0.key > key } ?? self[keyPath: list].endIndex)
        }
    }

    /// The direct role of the user with this key, if any.
    public func role(ofUser key: String) -> WorkspaceRole? { users.first { $0.key == key }?.role }

    /// The role of the group with this key, if any.
    public func role(ofGroup key: String) -> WorkspaceRole? { groups.first { $0.key == key }?.role }
}
