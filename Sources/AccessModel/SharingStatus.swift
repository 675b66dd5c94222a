/// What `sharing status OWNER/NAME` shows, built from the reader (the CLI adds `as_of` and
/// formats it as JSON or a table).
public struct SharingStatus: Sendable, Hashable {
    /// A direct user entry of the ACL.
    public struct UserEntry: Sendable, Hashable {
        /// The username as stored in the ACL.
        public var username: String
        /// The role granted.
        public var role: WorkspaceRole

        /// An entry.
        public init(username: String, role: WorkspaceRole) {
            self.username = username
            self.role = role
        }
    }

    /// A group entry of the ACL.
    public struct GroupEntry: Sendable, Hashable {
        /// The group name as stored in the ACL.
        public var name: String
        /// The role granted.
        public var role: WorkspaceRole
        /// How many active users are members (for `Everyone`: all active users).
        public var memberCount: Int

        /// An entry.
        public init(name: String, role: WorkspaceRole, memberCount: Int) {
            self.name = name
            self.role = role
            self.memberCount = memberCount
        }
    }

    /// The workspace id.
    public var workspaceID: Int64
    /// `owner/name`.
    public var workspace: String
    /// Running, stopped or deleted.
    public var status: WorkspaceStatus
    /// `acl.users`, sorted by username (case-insensitively).
    public var users: [UserEntry]
    /// `acl.groups`, sorted by name (case-insensitively).
    public var groups: [GroupEntry]
    /// `access`: every user whose role or live role is not none, sorted by username.
    public var access: [AccessRow]
    /// Whether any access row is in state `pending_revocation`.
    public var restartRequired: Bool

    /// A status from parts; lists are sorted as documented.
    public init(
        workspaceID: Int64, workspace: String, status: WorkspaceStatus, users: [UserEntry], groups: [GroupEntry],
        access: [AccessRow]
    ) {
        self.workspaceID = workspaceID
        self.workspace = workspace
        self.status = status
        self.users = users.sorted { Name.key($0.username) < Name.key($1.username) }
        self.groups = groups.sorted { Name.key($0.name) < Name.key($1.name) }
        self.access = access.sorted { $0.userKey < $1.userKey }
        self.restartRequired = access.contains { $0.state == .pendingRevocation }
    }

    /// The status of `workspace` in `reader`'s state.
    /// - Throws: what the reader throws.
    public init(of workspace: WorkspaceRecord, reader: some LedgerReader) throws {
        let acl = try reader.acl(workspaceID: workspace.id)
        var groups: [GroupEntry] = []
        for entry in acl.groups {
            let count =
                entry.key == GroupRecord.everyoneKey
                ? try reader.activeUserCount() : try reader.activeMemberCount(ofGroup: entry.key)
            groups.append(GroupEntry(name: entry.name, role: entry.role, memberCount: count))
        }
        self.init(
            workspaceID: workspace.id, workspace: workspace.reference, status: workspace.status,
            users: acl.users.map { UserEntry(username: $0.name, role: $0.role) }, groups: groups,
            access: try reader.accessRows(workspaceID: workspace.id))
    }
}
