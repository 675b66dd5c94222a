import AccessModel
import PostgresClient

extension Ledger {
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
                try? connection.rollback()
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
