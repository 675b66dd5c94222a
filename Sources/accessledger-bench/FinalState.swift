import PostgresClient

/// The state the ledger ended in, read from its projection tables: what the Coder-style
/// baseline is loaded with, and where the query samples are drawn from.
struct FinalState {
    struct User {
        var key: String
        var username: String
        var status: String
    }

    struct Group {
        var key: String
        var name: String
    }

    struct Member {
        var groupKey: String
        var userKey: String
    }

    struct Entry {
        var key: String
        var role: String
    }

    struct Workspace {
        var id: Int64
        var ownerKey: String
        var owner: String
        var name: String
        var template: String
        var status: String
        var users: [Entry] = []
        var groups: [Entry] = []

        var reference: String { "\(owner)/\(name)" }
    }

    var users: [User] = []
    var groups: [Group] = []
    var members: [Member] = []
    /// Every workspace, deleted ones included (Coder keeps them, soft-deleted), by id.
    var workspaces: [Workspace] = []

    /// Reads the current projections of the ledger on `connection`.
    init(reading connection: Connection) throws {
        users = try connection.query("SELECT key, username, status FROM users ORDER BY key").rows.map {
            User(key: try $0.string(0), username: try $0.string(1), status: try $0.string(2))
        }
        groups = try connection.query("SELECT key, name FROM groups WHERE NOT is_deleted ORDER BY key").rows.map {
            Group(key: try $0.string(0), name: try $0.string(1))
        }
        members = try connection.query("SELECT group_key, user_key FROM group_members ORDER BY 1, 2").rows.map {
            Member(groupKey: try $0.string(0), userKey: try $0.string(1))
        }
        workspaces = try connection.query(
            "SELECT id, owner_key, owner, name, template, status FROM workspaces ORDER BY id"
        ).rows.map {
            Workspace(
                id: try $0.int64(0), ownerKey: try $0.string(1), owner: try $0.string(2), name: try $0.string(3),
                template: try $0.string(4), status: try $0.string(5))
        }
        var index: [Int64: Int] = [:]
        for (position, workspace) in workspaces.enumerated() { index[workspace.id] = position }
        for row in try connection.query("SELECT workspace_id, user_key, role FROM workspace_user_acl").rows {
            guard let position = index[try row.int64(0)] else { continue }
            workspaces[position].users.append(Entry(key: try row.string(1), role: try row.string(2)))
        }
        for row in try connection.query("SELECT workspace_id, group_key, role FROM workspace_group_acl").rows {
            guard let position = index[try row.int64(0)] else { continue }
            workspaces[position].groups.append(Entry(key: try row.string(1), role: try row.string(2)))
        }
    }

    var liveWorkspaces: [Workspace] { workspaces.filter { $0.status != "deleted" } }
    var activeUsers: [User] { users.filter { $0.status == "active" } }
}

/// A failure of the harness itself (not of the store), with what went wrong.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
