/// The writes the projections (``Projection``) make, on top of the reads they need.
///
/// Every argument naming a user or group is a key (``Name/key(_:)``); records carry names as
/// written. Writes that change an access row receive the position and time of the event that
/// caused them, so that a store can keep the history of access intervals (`audit history`, `--at`).
/// The projection only calls the access-row writes when the row actually changes.
public protocol LedgerWriter: LedgerReader {
    /// Inserts or replaces the user with the record's key.
    func upsertUser(_ user: UserRecord) throws
    /// Inserts or replaces the stored group with the record's key (never `Everyone`).
    func upsertGroup(_ group: GroupRecord) throws
    /// Makes the user a member of the stored group (no-op when already a member).
    func addMember(groupKey: String, userKey: String) throws
    /// Ends the user's membership of the stored group (no-op when not a member).
    func removeMember(groupKey: String, userKey: String) throws

    /// Inserts or replaces the workspace with the record's id.
    func upsertWorkspace(_ workspace: WorkspaceRecord) throws
    /// Sets the direct ACL entry of a user (`entry.name` is the username as stored); replaces the
    /// entry with the same key.
    func setUserEntry(workspaceID: Int64, entry: ShareEntry) throws
    /// Removes the direct ACL entry of the user (no-op when absent).
    func removeUserEntry(workspaceID: Int64, userKey: String) throws
    /// Sets the ACL entry of a group (`entry.name` is the group name as stored); replaces the entry
    /// with the same key.
    func setGroupEntry(workspaceID: Int64, entry: ShareEntry) throws
    /// Removes the ACL entry of the group (no-op when absent).
    func removeGroupEntry(workspaceID: Int64, groupKey: String) throws

    /// Inserts or replaces the access row of (`row.workspaceID`, `row.userKey`), because of the
    /// event at `position` that occurred at `occurredAt`.
    func upsertAccessRow(_ row: AccessRow, position: Int64, occurredAt: Timestamp) throws
    /// Deletes the access row of the user on the workspace (both roles became none), because of
    /// the event at `position` that occurred at `occurredAt`.
    func deleteAccessRow(workspaceID: Int64, userKey: String, position: Int64, occurredAt: Timestamp) throws

    /// Inserts or replaces the token with the record's user and name keys.
    func upsertToken(_ token: TokenRecord) throws
    /// Creates or replaces the webhook with the record's key.
    func upsertWebhook(_ webhook: WebhookRecord) throws
    /// Removes the webhook with this key.
    func removeWebhook(key: String) throws
}
