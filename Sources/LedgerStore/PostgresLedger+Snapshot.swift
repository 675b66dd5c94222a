import AccessModel
import PostgresClient

extension PostgresLedger {
    /// Every projection table read into one ``LedgerSnapshot``, in the shape
    /// ``InMemoryLedger/snapshot()`` gives, so the live tables can be compared with a replay.
    /// Reads whole tables: for tests and `replay --verify`, not for the hot path.
    public func snapshot() throws -> LedgerSnapshot {
        var users: [String: UserRecord] = [:]
        for row in try connection.query("SELECT \(Self.userColumns) FROM users").rows {
            let user = try Self.user(row)
            users[user.key] = user
        }
        var groups: [String: GroupRecord] = [:]
        for row in try connection.query("SELECT \(Self.groupColumns) FROM groups").rows {
            let group = try Self.group(row)
            groups[group.key] = group
        }
        var members: [String: Set<String>] = [:]
        for row in try connection.query("SELECT group_key, user_key FROM group_members").rows {
            members[try row.string(0), default: []].insert(try row.string(1))
        }
        var workspaces: [Int64: WorkspaceRecord] = [:]
        for row in try connection.query("SELECT \(Self.workspaceColumns) FROM workspaces").rows {
            let workspace = try Self.workspace(row)
            workspaces[workspace.id] = workspace
        }
        var userEntries: [Int64: [ShareEntry]] = [:]
        for row in try connection.query("SELECT workspace_id, username, role FROM workspace_user_acl").rows {
            userEntries[try row.int64(0), default: []].append(
                ShareEntry(name: try row.string(1), role: try Self.enumValue(row, 2, as: WorkspaceRole.self)))
        }
        var groupEntries: [Int64: [ShareEntry]] = [:]
        for row in try connection.query("SELECT workspace_id, name, role FROM workspace_group_acl").rows {
            groupEntries[try row.int64(0), default: []].append(
                ShareEntry(name: try row.string(1), role: try Self.enumValue(row, 2, as: WorkspaceRole.self)))
        }
        var acls: [Int64: WorkspaceACL] = [:]
        for id in Set(userEntries.keys).union(groupEntries.keys) {
            acls[id] = WorkspaceACL(users: userEntries[id] ?? [], groups: groupEntries[id] ?? [])
        }
        var access: [Int64: [String: AccessRow]] = [:]
        for row in try connection.query("SELECT \(Self.accessColumns) FROM \(Self.accessFrom)").rows {
            let entry = try Self.access(row)
            access[entry.workspaceID, default: [:]][entry.userKey] = entry
        }
        var tokens: [String: TokenRecord] = [:]
        for row in try connection.query("SELECT \(Self.tokenColumns) FROM tokens").rows {
            let token = try Self.token(row)
            tokens[InMemoryLedger.tokenIndexKey(token.userKey, token.nameKey)] = token
        }
        return LedgerSnapshot(
            users: users, groups: groups, members: members, workspaces: workspaces, acls: acls, access: access,
            tokens: tokens)
    }
}
