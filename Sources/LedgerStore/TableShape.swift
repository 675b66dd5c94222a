import AccessModel
import PostgresClient

/// The shape of one projection table: its name, key columns, value columns, and the casts of
/// the columns that are not `text` in SQL. The current tables (`sql/0002_projections.sql`) and
/// the temporal ones (`sql/0003_history.sql`, which add the interval columns `from_position,
/// from_time, to_position, to_time`) are described here once; the live path's set-based writes,
/// the history writers and replay's COPY all build their SQL from these descriptions, and
/// ``TableRow`` says how a record becomes the values of a row.
public struct TableShape: Sendable, Hashable {
    public let name: String
    public let keyColumns: [String]
    public let valueColumns: [String]
    /// Casts for columns that are not `text` in SQL (e.g. `bigint`, `text[]`, `boolean`).
    public let casts: [String: String]

    public init(name: String, keyColumns: [String], valueColumns: [String], casts: [String: String] = [:]) {
        self.name = name
        self.keyColumns = keyColumns
        self.valueColumns = valueColumns
        self.casts = casts
    }

    /// Key and value columns, in table order.
    public var columns: [String] { keyColumns + valueColumns }

    /// Every column of a temporal table, in table order: key, values, then the interval.
    public var historyColumns: [String] { columns + ["from_position", "from_time", "to_position", "to_time"] }

    /// Tables are told apart by name (cheap to hash: the live path keys its writes by table).
    public static func == (a: TableShape, b: TableShape) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// `::type` for a column that is not `text`, else nothing.
    func cast(_ column: String) -> String { casts[column].map { "::" + $0 } ?? "" }
}

/// A temporal table (`*_history`) is described like any other table.
public typealias HistoryTable = TableShape

extension TableShape {
    // MARK: Current tables

    public static let currentUsers = TableShape(
        name: "users", keyColumns: ["key"], valueColumns: ["username", "kind", "role", "status"])
    public static let currentGroups = TableShape(
        name: "groups", keyColumns: ["key"], valueColumns: ["name", "source", "is_deleted"],
        casts: ["is_deleted": "boolean"])
    public static let currentMembers = TableShape(
        name: "group_members", keyColumns: ["group_key", "user_key"], valueColumns: [])
    public static let currentWorkspaces = TableShape(
        name: "workspaces", keyColumns: ["id"],
        valueColumns: ["owner", "owner_key", "name", "name_key", "template", "status"], casts: ["id": "bigint"])
    public static let userEntries = TableShape(
        name: "workspace_user_acl", keyColumns: ["workspace_id", "user_key"], valueColumns: ["username", "role"],
        casts: ["workspace_id": "bigint"])
    public static let groupEntries = TableShape(
        name: "workspace_group_acl", keyColumns: ["workspace_id", "group_key"], valueColumns: ["name", "role"],
        casts: ["workspace_id": "bigint"])
    public static let currentAccess = TableShape(
        name: "access", keyColumns: ["workspace_id", "user_key"],
        valueColumns: ["username", "role", "held_role", "via"], casts: ["workspace_id": "bigint", "via": "text[]"])
    public static let currentTokens = TableShape(
        name: "tokens", keyColumns: ["user_key", "name_key"],
        valueColumns: [
            "username", "name", "lifetime_seconds", "secret_sha256", "created_at", "expires_at", "revoked_at",
        ],
        casts: [
            "lifetime_seconds": "bigint", "created_at": "timestamptz", "expires_at": "timestamptz",
            "revoked_at": "timestamptz",
        ])
    public static let currentWebhooks = TableShape(
        name: "webhooks", keyColumns: ["key"], valueColumns: ["name", "url", "types"], casts: ["types": "text[]"])

    /// The current tables a command writes, in the order their writes are sent.
    static let current: [TableShape] = [
        .currentUsers, .currentGroups, .currentMembers, .currentWorkspaces, .userEntries, .groupEntries,
        .currentAccess, .currentTokens, .currentWebhooks,
    ]

    // MARK: Temporal tables

    public static let users = TableShape(
        name: "user_history", keyColumns: currentUsers.keyColumns, valueColumns: currentUsers.valueColumns)
    public static let groups = TableShape(
        name: "group_history", keyColumns: ["key"], valueColumns: ["name", "is_deleted"],
        casts: ["is_deleted": "boolean"])
    public static let members = TableShape(
        name: "member_history", keyColumns: currentMembers.keyColumns, valueColumns: [])
    public static let workspaces = TableShape(
        name: "workspace_history", keyColumns: currentWorkspaces.keyColumns,
        valueColumns: currentWorkspaces.valueColumns, casts: currentWorkspaces.casts)
    public static let acl = TableShape(
        name: "acl_history", keyColumns: ["workspace_id", "kind", "key"], valueColumns: ["name", "role"],
        casts: ["workspace_id": "bigint"])
    public static let access = TableShape(
        name: "access_history", keyColumns: currentAccess.keyColumns, valueColumns: currentAccess.valueColumns,
        casts: currentAccess.casts)

    /// Every temporal table.
    public static let all: [TableShape] = [.users, .groups, .members, .workspaces, .acl, .access]
}

extension TableShape {
    /// The key columns of an `access` or `access_history` row.
    static func accessKey(_ workspaceID: Int64, _ userKey: String) -> [HistoryValue] {
        [.int64(workspaceID), .text(userKey)]
    }

    /// The value columns of an `access` or `access_history` row: what a store keeps of an
    /// access row.
    static func accessValues(_ row: AccessRow) -> [HistoryValue] {
        [.text(row.username), .text(row.role?.rawValue), .text(row.heldRole?.rawValue), .textArray(row.via)]
    }
}

/// One key or value column, typed as the column is.
public enum HistoryValue: Sendable, Hashable {
    case text(String?)
    case int64(Int64)
    case bool(Bool)
    case textArray([String])
    case timestamp(Timestamp?)

    /// As a query parameter (with the casts of ``TableShape/casts``).
    var bindable: any PostgresBindable {
        switch self {
        case .text(let value): return PostgresText(value)
        case .int64(let value): return value
        case .bool(let value): return value
        case .textArray(let values): return values
        case .timestamp(let value): return PostgresText(value?.canonical)
        }
    }

    /// Appends the value to binary COPY rows.
    func write(to rows: inout BinaryCopyRows) {
        switch self {
        case .text(let value): rows.text(value)
        case .int64(let value): rows.int64(value)
        case .bool(let value): rows.bool(value)
        case .textArray(let values): rows.textArray(values)
        case .timestamp(let value): rows.timestamp(unixMicroseconds: value?.microseconds)
        }
    }
}

/// How each record becomes the values of a row: its key, then its values, in the columns'
/// order of the ``TableShape`` named. One definition for the current tables and the temporal
/// ones alike.
enum TableRow {
    /// `users` and `user_history`.
    static func user(_ user: UserRecord) -> (key: [HistoryValue], values: [HistoryValue]) {
        (
            [.text(user.key)],
            [.text(user.username), .text(user.kind.rawValue), .text(user.role.rawValue), .text(user.status.rawValue)]
        )
    }

    /// `groups` (with its source) and `group_history` (without).
    static func group(_ group: GroupRecord, withSource: Bool) -> (key: [HistoryValue], values: [HistoryValue]) {
        ([.text(group.key)], [.text(group.name)] + (withSource ? [.text(group.source.rawValue)] : []) + [.bool(group.isDeleted)])
    }

    /// `group_members` and `member_history`.
    static func member(groupKey: String, userKey: String) -> [HistoryValue] { [.text(groupKey), .text(userKey)] }

    /// `workspaces` and `workspace_history`.
    static func workspace(_ workspace: WorkspaceRecord) -> (key: [HistoryValue], values: [HistoryValue]) {
        (
            [.int64(workspace.id)],
            [
                .text(workspace.owner), .text(workspace.ownerKey), .text(workspace.name), .text(workspace.nameKey),
                .text(workspace.template), .text(workspace.status.rawValue),
            ]
        )
    }

    /// `workspace_user_acl` / `workspace_group_acl`: key (workspace, user or group key), values.
    static func entry(workspaceID: Int64, _ entry: ShareEntry) -> (key: [HistoryValue], values: [HistoryValue]) {
        ([.int64(workspaceID), .text(entry.key)], [.text(entry.name), .text(entry.role.rawValue)])
    }

    /// The key of an `acl_history` row: workspace, `user` or `group`, key.
    static func aclKey(workspaceID: Int64, kind: String, key: String) -> [HistoryValue] {
        [.int64(workspaceID), .text(kind), .text(key)]
    }

    /// `tokens`.
    static func token(_ token: TokenRecord) -> (key: [HistoryValue], values: [HistoryValue]) {
        (
            [.text(token.userKey), .text(token.nameKey)],
            [
                .text(token.username), .text(token.name), .int64(token.lifetimeSeconds), .text(token.secretSHA256),
                .timestamp(token.createdAt), .timestamp(token.expiresAt), .timestamp(token.revokedAt),
            ]
        )
    }

    /// `webhooks`.
    static func webhook(_ webhook: WebhookRecord) -> (key: [HistoryValue], values: [HistoryValue]) {
        ([.text(webhook.key)], [.text(webhook.name), .text(webhook.url), .textArray(webhook.types)])
    }
}
