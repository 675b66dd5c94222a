/// What one user can do on one workspace now (SPEC §3). A row exists while ``role`` or
/// ``liveRole`` is not none.
///
/// ## What a store keeps
/// The live role follows from the effective role except while a revocation is pending: on a
/// running workspace it equals the effective role unless it is higher (pending), and on a stopped
/// one it is none. So stores keep ``role``, ``via`` and ``heldRole`` (the live role only while it
/// is above the effective role) and rebuild the row with ``init(workspaceID:username:role:heldRole:via:running:)``.
/// A start, stop or restart then changes only the rows that are pending revocation, not one row
/// per user with access: that keeps the history tables and the lifecycle commands small.
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

    /// A row rebuilt from what a store keeps and whether the workspace is running: the live role
    /// is the held role, else the effective role, while running; none while stopped.
    public init(
        workspaceID: Int64, username: String, role: WorkspaceRole?, heldRole: WorkspaceRole?, via: [String],
        running: Bool
    ) {
        self.init(
            workspaceID: workspaceID, username: username, role: role,
            liveRole: running ? WorkspaceRole.highest(role, heldRole) : nil, via: via)
    }

    /// The live role while it is above the effective role (the row is pending revocation), else
    /// `nil`: the part of the live role a store keeps.
    public var heldRole: WorkspaceRole? { state == .pendingRevocation ? liveRole : nil }

    /// This row as it reads while the workspace is (or is not) running.
    public func observed(running: Bool) -> AccessRow {
        AccessRow(
            workspaceID: workspaceID, username: username, role: role, heldRole: heldRole, via: via, running: running)
    }

    /// The key of ``username``.
    public var userKey: String { Name.key(username) }
}

/// Who may read a workspace (SPEC §7): a user whose site role reads everything, its owner, or a
/// user whose effective role on it is not none (at the point the reader answers for).
public enum ReadAccess {
    public static func mayRead(
        _ workspace: WorkspaceRecord, user: UserRecord, reader: some LedgerReader
    ) throws -> Bool {
        if user.role.readsEverything || workspace.ownerKey == user.key { return true }
        return try reader.accessRow(workspaceID: workspace.id, userKey: user.key)?.role != nil
    }
}
