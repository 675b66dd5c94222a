/// What one user can do on one workspace now (SPEC §3). A row exists while ``role`` or
/// ``liveRole`` is not none.
public struct AccessRow: Sendable, Hashable {
    /// The workspace id.
    public var workspaceID: Int64
    /// The username as stored on the user.
    public var username: String
    /// The effective role (`nil` = none).
    public var role: WorkspaceRole?
    /// The highest effective role since the workspace last started; `nil` while stopped.
    public var liveRole: WorkspaceRole?
    /// The entries giving a role: `user` first, then `group:NAME` sorted by name; empty when
    /// ``role`` is none.
    public var via: [String]
    /// `active`, or `pending_revocation` when ``liveRole`` is higher than ``role``.
    public var state: AccessState

    /// A row; ``state`` follows from the roles.
    public init(workspaceID: Int64, username: String, role: WorkspaceRole?, liveRole: WorkspaceRole?, via: [String]) {
        self.workspaceID = workspaceID
        self.username = username
        self.role = role
        self.liveRole = liveRole
        self.via = via
        self.state = AccessState(effective: role, live: liveRole)
    }

    /// The key of ``username``.
    public var userKey: String { Name.key(username) }
}
