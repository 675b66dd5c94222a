/// The state of an access row (SPEC §3).
public enum AccessState: String, Sendable, Hashable, CaseIterable {
    /// The effective role is not none and at least the live role.
    case active
    /// The live role is higher than the effective role: someone may still be connected with
    /// access they no longer have, until the workspace restarts (or stops).
    case pendingRevocation = "pending_revocation"

    /// The state for an effective and a live role: pending when `live` is higher than `effective`.
    public init(effective: WorkspaceRole?, live: WorkspaceRole?) {
        self = WorkspaceRole.isHigher(live, than: effective) ? .pendingRevocation : .active
    }
}
