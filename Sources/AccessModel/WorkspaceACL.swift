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

    /// The direct role of the user with this key, if any.
    public func role(ofUser key: String) -> WorkspaceRole? { users.first { $0.key == key }?.role }

    /// The role of the group with this key, if any.
    public func role(ofGroup key: String) -> WorkspaceRole? { groups.first { $0.key == key }?.role }
}
