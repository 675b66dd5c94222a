import AccessModel
import PostgresClient

/// The point of the log an answer reflects (`as_of` in SPEC §5 JSON).
public struct AsOf: Sendable, Equatable {
    /// Position of the last event included (0 for an empty log).
    public var position: Int64
    /// Its `occurred_at` (`nil` for an empty log).
    public var time: Timestamp?

    public init(position: Int64, time: Timestamp?) {
        self.position = position
        self.time = time
    }
}

/// One row of `accessledger list`.
public struct WorkspaceListing: Sendable, Equatable {
    public var workspace: WorkspaceRecord
    /// The ACL is not empty.
    public var shared: Bool
}

/// One row of `groups list`.
public struct GroupListing: Sendable, Equatable {
    public var group: GroupRecord
    /// Active members (for `Everyone`: every active user).
    public var memberCount: Int
    /// Usernames of the members as stored (empty for `Everyone`, whose members are implicit).
    public var members: [String]
}

/// What a mutating command did.
public struct CommandOutcome: Sendable, Equatable {
    /// The events appended (empty for a no-op).
    public var events: [RecordedEvent]
    /// The workspaces (`owner/name`, sorted) where this command left someone pending revocation:
    /// they keep live access until the workspace restarts.
    public var restartRequired: [String] = []
    public var isNoOp: Bool { events.isEmpty }

    public init(events: [RecordedEvent], restartRequired: [String] = []) {
        self.events = events
        self.restartRequired = restartRequired
    }
}

/// Forwards interval changes to `base` and notes the workspaces where an access row became
/// pending revocation, for ``CommandOutcome/restartRequired``.
final class PendingRevocationWatch: HistorySink {
    let base: any HistorySink
    private(set) var workspaceIDs: Set<Int64> = []

    init(base: any HistorySink) { self.base = base }

    func change(_ table: HistoryTable, key: [HistoryValue], values: [HistoryValue]?, position: Int64, time: Timestamp) {
        base.change(table, key: key, values: values, position: position, time: time)
    }

    func changeAccess(workspaceID: Int64, userKey: String, row: AccessRow?, position: Int64, time: Timestamp) {
        if row?.state == .pendingRevocation { workspaceIDs.insert(workspaceID) }
        base.changeAccess(workspaceID: workspaceID, userKey: userKey, row: row, position: position, time: time)
    }
}

/// The ledger over one database connection: commands (decide → append → project, one
/// transaction) and the read side the CLI prints.
public struct Ledger {
    public let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    // MARK: Commands

    /// Runs one command as `actor`: under the append lock, ``Rules/decide(_:actor:reader:)``
    /// reads the projections and decides the events; they are appended with hashes and applied
    /// by ``Projection`` to the same tables, all in one transaction. A refused command appends
    /// nothing.
    /// - Throws: ``LedgerError`` with the exit code of SPEC §5.
    @discardableResult
    public func execute(
        _ command: Command, actor: String?, reason: String? = nil, occurredAt: Timestamp? = nil, token: String? = nil
    ) throws -> CommandOutcome {
        try Ledger.mapErrors {
            try connection.transaction { tx in
                try Ledger(connection: tx).run(
                    command, actor: actor, reason: reason, occurredAt: occurredAt, token: token)
            }
        }
    }

    /// Runs one command like ``execute(_:actor:reason:occurredAt:token:)``, inside the caller's
    /// open transaction (the service commits several commands in one, each under a savepoint).
    /// - Throws: ``LedgerError``; the caller rolls back (to its savepoint) on any error.
    @discardableResult
    public func executeInTransaction(
        _ command: Command, actor: String?, reason: String? = nil, occurredAt: Timestamp? = nil, token: String? = nil
    ) throws -> CommandOutcome {
        precondition(connection.inTransaction, "executeInTransaction needs an open transaction")
        return try Ledger.mapErrors {
            try run(command, actor: actor, reason: reason, occurredAt: occurredAt, token: token)
        }
    }

    private func run(
        _ command: Command, actor: String?, reason: String?, occurredAt: Timestamp?, token: String?
    ) throws -> CommandOutcome {
        let store = EventStore(connection: connection)
        var context = try store.lockForAppend()
        let history = SQLHistorySink(connection: connection)
        let watch = PendingRevocationWatch(base: history)
        let projections = HistoryTrackingLedger(base: PostgresLedger(connection: connection), sink: watch)
        let decision = try Rules.decide(command, actor: actor, reader: projections.base)
        guard !decision.isNoOp else { return CommandOutcome(events: []) }
        let recorded = try store.append(
            decision.newEvents,
            metadata: EventMetadata(actor: decision.actor, reason: reason, occurredAt: occurredAt, token: token),
            context: &context)
        for (event, record) in zip(decision.events, recorded) {
            try projections.apply(event, position: record.position, occurredAt: record.occurredAt)
        }
        // The intervals, the projections' position and (when this command left someone
        // pending) which workspaces still need a restart: one round trip.
        // …and the wake-up of every follower, delivered by PostgreSQL at COMMIT.
        var after = [
            Statement("UPDATE projection_state SET position = $1", [context.position]),
            Statement("SELECT pg_notify($1, $2)", [EventFeedChannel.name, String(context.position)]),
        ]
        after += Ledger.webhookDelivery(for: command, decided: zip(decision.events, recorded))
        if !watch.workspaceIDs.isEmpty { after.append(Ledger.stillPending(watch.workspaceIDs)) }
        let results = try history.flush(then: after)
        let pending = watch.workspaceIDs.isEmpty ? [] : try results[results.count - 1].rows.map { try $0.string(0) }
        return CommandOutcome(events: recorded, restartRequired: pending)
    }

    /// Selects those of `workspaceIDs` that have a row pending revocation now (a command may end
    /// what it began, e.g. a rotation that restarts), as sorted `owner/name`.
    static func stillPending(_ workspaceIDs: Set<Int64>) -> Statement {
        Statement(
            """
            SELECT w.owner || '/' || w.name FROM workspaces w
            WHERE w.id = ANY($1::bigint[])
              AND EXISTS (SELECT 1 FROM access a WHERE a.workspace_id = w.id AND a.held_role IS NOT NULL)
            ORDER BY lower(w.owner || '/' || w.name) COLLATE "C"
            """, [workspaceIDs.sorted().map(String.init)])
    }

    /// Translates domain and database errors into ``LedgerError``.
    static func mapErrors<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let refusal as Refusal {
            switch refusal.kind {
            case .invalidInput: throw LedgerError.invalidInput(refusal.message)
            case .notPermitted: throw LedgerError.notPermitted(refusal.message)
            }
        } catch let error as PostgresError {
            throw LedgerError(error)
        } catch let error as ProjectionError {
            throw LedgerError.internal("projection failed: \(error)")
        } catch let error as EventDecodingError {
            throw LedgerError.verificationFailed(
                "the log holds an event accessledger cannot have written: \(error) (run `accessledger verify`)")
        } catch let error as UnreadableEvent {
            throw LedgerError.verificationFailed(error.description)
        }
    }

    // MARK: Reads

    /// Runs `body` in one read-only snapshot, so that every query sees the same point of the log.
    /// With `point`, `body` reads the temporal tables as of that point; without, the current ones.
    public func snapshot<T>(at point: LogPoint? = nil, _ body: (any LedgerReader, AsOf) throws -> T) throws -> T {
        try Ledger.mapErrors {
            guard point == nil else {
                return try connection.transaction(isolation: "REPEATABLE READ") { tx in
                    let asOf = try Ledger.resolve(point, on: tx)
                    return try body(HistoricalLedger(connection: tx, position: asOf.position), asOf)
                }
            }
            // Now: the transaction and the head in one round trip.
            let results = try connection.pipeline([
                Statement("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"), Statement(Ledger.headSQL),
            ])
            do {
                let asOf = try Ledger.asOf(results[1].first)
                let value = try body(PostgresLedger(connection: connection), asOf)
                try connection.query("COMMIT")
                return value
            } catch {
                if connection.inTransaction { _ = try? connection.query("ROLLBACK") }
                throw error
            }
        }
    }

    static let headSQL =
        "SELECT position, (extract(epoch FROM occurred_at) * 1000000)::bigint FROM ledger_events "
        + "ORDER BY position DESC LIMIT 1"

    static func asOf(_ row: Row?) throws -> AsOf {
        guard let row else { return AsOf(position: 0, time: nil) }
        return AsOf(position: try row.int64(0), time: Timestamp(microseconds: try row.int64(1)))
    }

    /// The event a point of the log designates: now (the head), `--at-position N`, or the last
    /// event at or before `--at TIME`.
    /// - Throws: ``LedgerError/invalidInput(_:)`` for a position outside the log.
    static func resolve(_ point: LogPoint?, on connection: Connection) throws -> AsOf {
        let sql: String
        var parameters: [any PostgresBindable] = []
        switch point {
        case nil:
            sql =
                "SELECT position, (extract(epoch FROM occurred_at) * 1000000)::bigint FROM ledger_events "
                + "ORDER BY position DESC LIMIT 1"
        case .position(let position)?:
            let head = try connection.query("SELECT coalesce(max(position), 0) FROM ledger_events").first?.int64(0) ?? 0
            guard position >= 0, position <= head else {
                throw LedgerError.invalidInput(
                    "--at-position \(position) is outside the log (positions 0 to \(head))")
            }
            sql =
                "SELECT position, (extract(epoch FROM occurred_at) * 1000000)::bigint FROM ledger_events "
                + "WHERE position = $1"
            parameters = [position]
        case .time(let time)?:
            // The point, and the database's clock: a time still to come has no answer yet.
            let row = try connection.query(
                """
                SELECT e.position, (extract(epoch FROM e.occurred_at) * 1000000)::bigint,
                       (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
                FROM (SELECT 1) one LEFT JOIN LATERAL (
                    SELECT position, occurred_at FROM ledger_events WHERE occurred_at <= $1::timestamptz
                    ORDER BY occurred_at DESC, position DESC LIMIT 1
                ) e ON true
                """, [time.canonical]
            ).first
            let now = Timestamp(microseconds: try row?.int64(2) ?? 0)
            guard time <= now else {
                throw LedgerError.invalidInput(
                    "--at \(time.rfc3339) is in the future (now is \(now.rfc3339)): the log cannot answer for it yet")
            }
            guard let row, try row.optionalInt64(0) != nil else { return AsOf(position: 0, time: nil) }
            return try asOf(row)
        }
        return try asOf(try connection.query(sql, parameters).first)
    }

    /// The workspace that holds `reference` (`OWNER/NAME`) now.
    /// - Throws: ``LedgerError/invalidInput(_:)`` for a malformed or unknown reference.
    public static func resolve(_ reference: String, in ledger: some LedgerReader) throws -> WorkspaceRecord {
        try mapErrors {
            let parsed = try WorkspaceReference(parsing: reference)
            return try parsed.resolve(in: ledger)
        }
    }

    /// The user named `username` (any status).
    /// - Throws: ``LedgerError/invalidInput(_:)`` for a malformed or unknown name, naming it.
    public static func resolveUser(_ username: String, in ledger: some LedgerReader) throws -> UserRecord {
        try mapErrors {
            let name = try Name(username, kind: .user)
            guard let record = try ledger.user(key: name.key) else {
                throw LedgerError.invalidInput("unknown user \(DisplayText.quoted(username))")
            }
            return record
        }
    }

    /// `sharing status OWNER/NAME [--at …]`: the workspace that holds the name at that point.
    public func sharingStatus(_ reference: String, at point: LogPoint? = nil) throws -> (SharingStatus, AsOf) {
        try snapshot(at: point) { ledger, asOf in
            let workspace = try Ledger.resolve(reference, in: ledger)
            return (try SharingStatus(of: workspace, reader: ledger), asOf)
        }
    }

    /// `list [--search QUERY] [--at …]`: workspaces matching the query at that point, sorted by
    /// `owner/name`.
    public func listWorkspaces(search: String?, at point: LogPoint? = nil) throws -> ([WorkspaceListing], AsOf) {
        guard point == nil else {
            return try snapshot(at: point) { ledger, asOf in
                let query = try Ledger.mapErrors { try SearchQuery.parse(search ?? "", checkingNamesIn: ledger) }
                let (sql, parameters) = WorkspaceSearchSQL.statement(for: query, at: asOf.position)
                return (try Ledger.listings(try connection.query(sql, parameters)), asOf)
            }
        }
        // Now: one statement, so one snapshot and one round trip: the head, the names the query
        // mentions and the search itself; the domain then checks the names against what was
        // found (the search's rows are dropped when one is unknown).
        return try Ledger.mapErrors {
            let syntax = try SearchQuery.parse(search ?? "")
            let users = [syntax.owner, syntax.sharedWithUser, syntax.hasAccess].compactMap { $0.map(Name.key) }
            let groups = [syntax.sharedWithGroup].compactMap { $0.map(Name.key) }
            let (sql, parameters) = WorkspaceSearchSQL.statementNow(for: syntax, users: users, groups: groups)
            let result = try connection.queryPrepared(sql, parameters)
            let rows = result.rows
            guard let first = rows.first else { throw LedgerError.internal("the search returned no row") }
            let known = KnownNames(
                users: Set(PostgresLedger.textArray(try first.string(8))),
                groups: Set(PostgresLedger.textArray(try first.string(9))))
            _ = try SearchQuery.parse(search ?? "", checkingNamesIn: known)
            let asOf =
                first[6] == nil
                ? AsOf(position: 0, time: nil)
                : AsOf(position: try first.int64(6), time: Timestamp(microseconds: try first.int64(7)))
            return (try Ledger.listings(result), asOf)
        }
    }

    /// The listings of a search's rows (columns id, owner, name, template, status, shared); a
    /// row without an id is the one row of an empty result of ``WorkspaceSearchSQL/statementNow``.
    static func listings(_ rows: QueryResult) throws -> [WorkspaceListing] {
        try rows.rows.filter { $0[0] != nil }.map { row in
            WorkspaceListing(workspace: try PostgresLedger.workspace(row), shared: try row.bool(5))
        }
    }

    /// `users list`: every user, deleted ones included, sorted by username.
    public func users() throws -> [UserRecord] {
        try Ledger.mapErrors {
            try connection.query("SELECT \(PostgresLedger.userColumns) FROM users ORDER BY key").rows.map(
                PostgresLedger.user)
        }
    }

    /// `groups list`: `Everyone` and every group not deleted, sorted by name.
    public func groups() throws -> [GroupListing] {
        try snapshot { ledger, _ in
            var listings = [GroupListing(group: .everyone, memberCount: try ledger.activeUserCount(), members: [])]
            let rows = try connection.query(
                """
                SELECT g.name, g.source,
                       count(u.key) FILTER (WHERE u.status = 'active'),
                       coalesce(array_agg(u.username ORDER BY u.key) FILTER (WHERE u.key IS NOT NULL), '{}')
                FROM groups g
                LEFT JOIN group_members m ON m.group_key = g.key
                LEFT JOIN users u ON u.key = m.user_key
                WHERE NOT g.is_deleted
                GROUP BY g.key, g.name, g.source
                ORDER BY g.key
                """)
            for row in rows.rows {
                listings.append(
                    GroupListing(
                        group: GroupRecord(
                            name: try row.string(0), source: try PostgresLedger.enumValue(row, 1, as: GroupSource.self)),
                        memberCount: Int(try row.int64(2)), members: PostgresLedger.textArray(try row.string(3))))
            }
            return listings.sorted { Name.key($0.group.name) < Name.key($1.group.name) }
        }
    }

    /// `tokens list [--user U]`: tokens (never their secrets), sorted by user then name.
    public func tokens(user: String?) throws -> [TokenRecord] {
        try Ledger.mapErrors {
            if let user {
                let ledger = PostgresLedger(connection: connection)
                return try ledger.tokens(userKey: try Ledger.resolveUser(user, in: ledger).key)
            }
            return try connection.query(
                "SELECT \(PostgresLedger.tokenColumns) FROM tokens ORDER BY user_key, name_key"
            ).rows.map(PostgresLedger.token)
        }
    }

    /// Narrows an audit filter to a workspace (the one holding the name now) and/or a user
    /// (events on their stream, their tokens, and shares, unshares and memberships naming them).
    public func auditFilter(_ base: AuditFilter, workspace: String?, user: String?) throws -> AuditFilter {
        var filter = base
        let ledger = PostgresLedger(connection: connection)
        if let workspace {
            let record = try Ledger.resolve(workspace, in: ledger)
            filter.streams = ["workspace:\(record.id)"]
        }
        if let user {
            let record = try Ledger.resolveUser(user, in: ledger)
            filter.subjectUser = (key: record.key, username: record.username)
        }
        return filter
    }
}

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
        if let wanted = query.shared { conditions.append(wanted ? tables.shared : "NOT " + tables.shared) }
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
            SELECT w.id, w.owner, w.name, w.template, w.status, \(tables.shared) AS shared,
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
