import AccessModel
import PostgresClient

/// Translates a parsed ``SearchQuery`` into parameterised SQL over the current tables, or over
/// the temporal tables as of a position. Each filter is an indexed lookup; values are always
/// parameters.
enum WorkspaceSearchSQL {
    /// The statement listing matching workspaces: columns id, owner, name, template, status, shared.
    static func statement(for query: SearchQuery, at position: Int64?) -> (String, [any PostgresBindable]) {
        var parameters: [any PostgresBindable] = []
        if let position { parameters.append(position) }
        /// Appends `value` as the next parameter and returns its placeholder.
        func bind(_ value: any PostgresBindable) -> String {
            parameters.append(value)
            return "$\(parameters.count)"
        }
        let tables = position == nil ? Tables.now : Tables.asOf
        // Filters that name workspaces by id: the first one drives an as-of search.
        var idSources: [String] = []
        if let user = query.sharedWithUser { idSources.append(tables.sharedWithUser(bind(Name.key(user)))) }
        if let group = query.sharedWithGroup { idSources.append(tables.sharedWithGroup(bind(Name.key(group)))) }
        if let user = query.hasAccess { idSources.append(tables.hasAccess(bind(Name.key(user)))) }
        var conditions = ["w.status <> 'deleted'"]
        if let owner = query.owner { conditions.append("w.owner_key = \(bind(Name.key(owner)))") }
        switch query.name {
        case .contains(let fragment)?: conditions.append("strpos(w.name_key, \(bind(fragment))) > 0")
        case .equals(let name)?: conditions.append("w.name_key = \(bind(name))")
        case nil: break
        }
        if let status = query.status { conditions.append("w.status = \(bind(status.rawValue))") }
        // A workspace an ACL filter found has an entry: it is shared, with no lookup.
        let namedByACL = query.sharedWithUser != nil || query.sharedWithGroup != nil
        let shared = namedByACL ? "true" : tables.shared
        if let wanted = query.shared { conditions.append(wanted ? shared : "NOT " + shared) }
        if let pending = query.pendingRevocation { conditions.append(pending ? tables.pending : "NOT " + tables.pending) }
        let from: String
        if position == nil {
            from = "workspaces w"
            conditions += idSources.map { "w.id IN (\($0))" }
        } else if let driver = idSources.first {
            // The workspaces the first filter names, each as of the position through its
            // primary key; never the intervals of every workspace.
            from = "(\(driver)) c CROSS JOIN LATERAL \(HistoricalLedger.latest("workspace_history", "w", where: "w.id = c.id"))"
            conditions += [HistoricalLedger.valid("w")] + idSources.dropFirst().map { "w.id IN (\($0))" }
        } else {
            // Every workspace live at the position, through the GiST index of live intervals.
            from = "workspace_history w"
            conditions.append(HistoricalLedger.during("w"))
        }
        let sql = """
            SELECT w.id, w.owner, w.name, w.template, w.status, \(shared) AS shared,
                   w.owner_key || '/' || w.name_key AS sort_key
            FROM \(from)
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY w.owner_key || '/' || w.name_key COLLATE "C"
            """
        return (sql, parameters)
    }

    /// The search over the current tables in one statement, so in one snapshot and one round
    /// trip without a transaction: columns id, owner, name, template, status, shared (all NULL
    /// on the one row of an empty result), then the head's position and time (NULL for an empty
    /// log), and which of `users` and `groups` exist (text arrays).
    static func statementNow(for query: SearchQuery, users: [String], groups: [String]) -> (
        String, [any PostgresBindable]
    ) {
        var (search, parameters) = statement(for: query, at: nil)
        parameters += [users, groups]
        let sql = """
            SELECT r.id, r.owner, r.name, r.template, r.status, r.shared, h.position, h.micros, m.users, m.groups
            FROM (SELECT ARRAY(SELECT key FROM users WHERE key = ANY($\(parameters.count - 1)::text[])) AS users,
                         ARRAY(SELECT key FROM groups WHERE key = ANY($\(parameters.count)::text[])) AS groups) m
            LEFT JOIN LATERAL (
                SELECT position, (extract(epoch FROM occurred_at) * 1000000)::bigint AS micros
                FROM ledger_events ORDER BY position DESC LIMIT 1) h ON true
            LEFT JOIN LATERAL (\(search)) r ON true
            ORDER BY r.sort_key COLLATE "C"
            """
        return (sql, parameters)
    }

    /// The subqueries of a search over the current tables or the temporal ones. Those that list
    /// workspaces name their column `id`; `shared` and `pending` test workspace `w`.
    struct Tables: Sendable {
        var sharedWithUser: @Sendable (String) -> String
        var sharedWithGroup: @Sendable (String) -> String
        var hasAccess: @Sendable (String) -> String
        var shared: String
        var pending: String

        static let now = Tables(
            sharedWithUser: { "SELECT a.workspace_id AS id FROM workspace_user_acl a WHERE a.user_key = \($0)" },
            sharedWithGroup: { "SELECT a.workspace_id AS id FROM workspace_group_acl a WHERE a.group_key = \($0)" },
            hasAccess: { "SELECT a.workspace_id AS id FROM access a WHERE a.user_key = \($0) AND a.role IS NOT NULL" },
            shared: """
                (EXISTS (SELECT 1 FROM workspace_user_acl a WHERE a.workspace_id = w.id)
                 OR EXISTS (SELECT 1 FROM workspace_group_acl a WHERE a.workspace_id = w.id))
                """,
            pending: "EXISTS (SELECT 1 FROM access p WHERE p.workspace_id = w.id AND p.held_role IS NOT NULL)")

        /// As of the position `$1`: every lookup through a GiST index of interval spans.
        static let asOf = Tables(
            sharedWithUser: { entries(kind: "user", key: $0) },
            sharedWithGroup: { entries(kind: "group", key: $0) },
            hasAccess: {
                """
                SELECT DISTINCT a.workspace_id AS id FROM access_history a
                WHERE \(HistoricalLedger.textKey("a.user_key", $0)) AND a.role IS NOT NULL AND \(HistoricalLedger.during("a"))
                """
            },
            shared: "EXISTS (SELECT 1 FROM acl_history a WHERE a.workspace_id = w.id AND \(HistoricalLedger.during("a")))",
            pending: """
                EXISTS (SELECT 1 FROM access_history p
                        WHERE p.workspace_id = w.id AND p.held_role IS NOT NULL AND \(HistoricalLedger.during("p")))
                """)

        static func entries(kind: String, key: String) -> String {
            """
            SELECT DISTINCT a.workspace_id AS id FROM acl_history a
            WHERE \(HistoricalLedger.textKey("a.key", key)) AND a.kind = '\(kind)' AND \(HistoricalLedger.during("a"))
            """
        }
    }
}
