import AccessModel
import PostgresClient

/// The users and groups a search mentions, looked up in advance, so that the domain's
/// ``SearchQuery/parse(_:checkingNamesIn:)`` can check them without more round trips. It only
/// answers ``user(key:)`` and ``group(key:)``; the records it returns carry just the key.
struct KnownNames: LedgerReader {
    let users: Set<String>
    let groups: Set<String>

    func user(key: String) throws -> UserRecord? {
        users.contains(key) ? UserRecord(username: key, kind: .human, role: .member, status: .active) : nil
    }
    func group(key: String) throws -> GroupRecord? {
        groups.contains(key) ? GroupRecord(name: key, source: .manual) : nil
    }

    private func unsupported<T>() throws -> T { throw LedgerError.internal("KnownNames answers names only") }
    func userCount() throws -> Int { try unsupported() }
    func activeUserKeys() throws -> [String] { try unsupported() }
    func activeUserCount() throws -> Int { try unsupported() }
    func memberKeys(ofGroup groupKey: String) throws -> [String] { try unsupported() }
    func activeMemberCount(ofGroup groupKey: String) throws -> Int { try unsupported() }
    func groupKeys(ofUser userKey: String) throws -> [String] { try unsupported() }
    func workspace(id: Int64) throws -> WorkspaceRecord? { try unsupported() }
    func workspace(ownerKey: String, nameKey: String) throws -> WorkspaceRecord? { try unsupported() }
    func workspaceCount(ownerKey: String) throws -> Int { try unsupported() }
    func nextWorkspaceID() throws -> Int64 { try unsupported() }
    func acl(workspaceID: Int64) throws -> WorkspaceACL { try unsupported() }
    func workspaceIDs(sharedWithUser userKey: String) throws -> [Int64] { try unsupported() }
    func workspaceIDs(sharedWithGroup groupKey: String) throws -> [Int64] { try unsupported() }
    func workspaceIDs(sharedWithGroupsOfUser userKey: String) throws -> [Int64] { try unsupported() }
    func accessRow(workspaceID: Int64, userKey: String) throws -> AccessRow? { try unsupported() }
    func accessRows(workspaceID: Int64) throws -> [AccessRow] { try unsupported() }
    func accessRows(userKey: String) throws -> [AccessRow] { try unsupported() }
    func pendingAccessRows(workspaceID: Int64) throws -> [AccessRow] { try unsupported() }
    func token(userKey: String, nameKey: String) throws -> TokenRecord? { try unsupported() }
    func tokens(userKey: String) throws -> [TokenRecord] { try unsupported() }
    func webhook(key: String) throws -> WebhookRecord? { try unsupported() }
    func webhooks() throws -> [WebhookRecord] { try unsupported() }
}
