/// Every read that the rules (``Rules``), the projections (``Projection``) and the status view
/// (``SharingStatus``) make. Each method is meant to be one indexed SQL query.
///
/// Conventions:
/// - Every name argument is a **key**, made by ``Name/key(_:)`` (ASCII-lowercased). Lists of
///   users or groups are returned as keys too; records carry names as first written.
/// - Only stored groups are read: the built-in `Everyone` is never stored, never returned by
///   ``group(key:)``, and membership in it is implicit (every active user). ACL entries for it
///   are stored like any group entry under the key `everyone`.
/// - Deleted workspaces have an empty ACL and no access rows, so the `workspaceIDs` queries
///   never return them.
/// - Methods are synchronous and throw whatever the store throws (e.g. a database error).
public protocol LedgerReader {
    /// The user with this key in any status (deleted users are kept), or `nil`.
    func user(key: String) throws -> UserRecord?
    /// How many users exist in any status (0 means the next `users create` is the bootstrap).
    func userCount() throws -> Int
    /// The keys of all active users (the members of `Everyone`).
    func activeUserKeys() throws -> [String]
    /// How many users are active (`Everyone`'s `member_count`).
    func activeUserCount() throws -> Int

    /// The stored group with this key, including a deleted one, or `nil`. Never `Everyone`.
    func group(key: String) throws -> GroupRecord?
    /// The keys of the users the stored group has as members (any status).
    func memberKeys(ofGroup groupKey: String) throws -> [String]
    /// How many active users the stored group has as members.
    func activeMemberCount(ofGroup groupKey: String) throws -> Int
    /// The keys of the stored groups the user is a member of (never `everyone`).
    func groupKeys(ofUser userKey: String) throws -> [String]

    /// The workspace with this id in any status, or `nil`.
    func workspace(id: Int64) throws -> WorkspaceRecord?
    /// The non-deleted workspace holding this owner and name now, or `nil`.
    func workspace(ownerKey: String, nameKey: String) throws -> WorkspaceRecord?
    /// How many non-deleted workspaces the user owns.
    func workspaceCount(ownerKey: String) throws -> Int
    /// The id the next created workspace gets: one more than the highest id ever assigned
    /// (deleted workspaces keep theirs), 1 for the first.
    func nextWorkspaceID() throws -> Int64

    /// The ACL of the workspace (empty for an unknown or deleted one).
    func acl(workspaceID: Int64) throws -> WorkspaceACL
    /// The ids of the workspaces whose ACL has a direct entry for the user.
    func workspaceIDs(sharedWithUser userKey: String) throws -> [Int64]
    /// The ids of the workspaces whose ACL has an entry for the group (`everyone` included).
    func workspaceIDs(sharedWithGroup groupKey: String) throws -> [Int64]
    /// The ids of the workspaces whose ACL has an entry for any stored group the user is a member of
    /// (not `Everyone`; ask ``workspaceIDs(sharedWithGroup:)`` with `everyone` for that).
    func workspaceIDs(sharedWithGroupsOfUser userKey: String) throws -> [Int64]

    /// The access row of the user on the workspace, or `nil` when both roles are none.
    func accessRow(workspaceID: Int64, userKey: String) throws -> AccessRow?
    /// The access rows of the workspace (any order).
    func accessRows(workspaceID: Int64) throws -> [AccessRow]
    /// The access rows of the user, on any workspace (any order).
    func accessRows(userKey: String) throws -> [AccessRow]
    /// The access rows of the workspace in state `pending_revocation` (any order): the only rows
    /// a start, stop or restart changes.
    func pendingAccessRows(workspaceID: Int64) throws -> [AccessRow]

    /// The user's token with this name (revoked or not), or `nil`.
    func token(userKey: String, nameKey: String) throws -> TokenRecord?
    /// All tokens of the user (revoked or not, any order).
    func tokens(userKey: String) throws -> [TokenRecord]

    /// The webhook with this key, or `nil` (a removed one is gone).
    func webhook(key: String) throws -> WebhookRecord?
    /// Every webhook, sorted by key.
    func webhooks() throws -> [WebhookRecord]

    /// A hint: the caller is about to read the records, groups and access rows on `workspaceID`
    /// of these users. A store that pays a round trip per read fetches them together; the
    /// answers are the same with or without it. The default does nothing.
    func prefetch(userKeys: [String], workspaceID: Int64) throws
}

extension LedgerReader {
    public func prefetch(userKeys: [String], workspaceID: Int64) throws {}
}
