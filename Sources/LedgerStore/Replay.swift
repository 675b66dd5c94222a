import AccessModel
import Foundation
import PostgresClient

/// What `replay` and `replay --verify` did.
public struct ReplayReport: Sendable, Equatable {
    /// Events replayed.
    public var events: Int64
    /// `--verify`: each difference between the live projections and the replay, as text.
    public var differences: [String]
    public var ok: Bool { differences.isEmpty }
}

/// Rebuilds every projection from the log: `replay` (swap the rebuilt tables in) and
/// `replay --verify` (compare, change nothing).
///
/// The log is streamed from one connection through ``Projection`` into an ``InMemoryLedger``
/// (memory follows the size of the current state, not the length of the log); intervals of the
/// temporal tables are written out in COPY batches as they close. Everything is built in a
/// scratch schema inside one transaction that holds the append lock, so writers wait (rather
/// than fail) and readers keep reading the old tables until the swap commits.
public struct Replay {
    /// The projection tables, in the order they are built and swapped.
    public static let currentTables = [
        "users", "groups", "group_members", "workspaces", "workspace_user_acl", "workspace_group_acl", "access",
        "tokens", "projection_state",
    ]
    public static var tables: [String] { currentTables + HistoryTable.all.map(\.name) }
    static let scratchSchema = "accessledger_rebuild"

    /// Streams the log (on its own connection).
    public let events: Connection
    /// Builds and swaps (as the tables' owner: not under the append-only role).
    public let target: Connection

    public init(events: Connection, target: Connection) {
        self.events = events
        self.target = target
    }

    /// Rebuilds the projections and swaps them in atomically.
    public func run(progress: (Int64, Int64) -> Void = { _, _ in }) throws -> ReplayReport {
        try Ledger.mapErrors {
            try target.transaction { tx in
                let count = try build(tx, progress: progress)
                try swap(tx)
                return ReplayReport(events: count, differences: [])
            }
        }
    }

    /// Rebuilds into the scratch schema, lists every difference from the live tables, and rolls
    /// everything back.
    public func verify(progress: (Int64, Int64) -> Void = { _, _ in }) throws -> ReplayReport {
        struct Rollback: Error { let report: ReplayReport }
        do {
            try Ledger.mapErrors {
                try target.transaction { tx in
                    let count = try build(tx, progress: progress)
                    throw Rollback(report: ReplayReport(events: count, differences: try differences(tx)))
                }
            }
        } catch let rollback as Rollback {
            return rollback.report
        }
        throw LedgerError.internal("replay --verify did not finish")
    }

    // MARK: Building

    /// Takes the append lock, creates empty copies of the tables in the scratch schema and fills
    /// them from the log. Returns the number of events replayed.
    func build(_ tx: Connection, progress: (Int64, Int64) -> Void) throws -> Int64 {
        try tx.query("SELECT pg_advisory_xact_lock($1)", [EventStore.appendLockKey])
        let head = try tx.query("SELECT coalesce(max(position), 0) FROM ledger_events").first?.int64(0) ?? 0
        let schema = Replay.scratchSchema
        try tx.query("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        try tx.query("CREATE SCHEMA \(schema)")
        for table in Replay.tables {
            try tx.query(
                "CREATE TABLE \(schema).\(table) (LIKE public.\(table) INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        }
        let state = InMemoryLedger(recordingAccessChanges: false)
        let sink = CopyHistorySink()
        let ledger = HistoryTrackingLedger(base: state, sink: sink)
        var count: Int64 = 0
        try EventStore(connection: events).forEachEvent(through: head) { event in
            try ledger.apply(event)
            count += 1
            if sink.bufferedRows >= 50_000 { try sink.flush(to: tx, schema: schema) }
            if count % 10_000 == 0 { progress(count, head) }
        }
        progress(count, head)
        sink.closeOpenIntervals()
        try sink.flush(to: tx, schema: schema)
        try copyCurrentState(state.snapshot(), head: head, to: tx, schema: schema)
        try createIndexes(tx, schema: schema)
        return count
    }

    func copyCurrentState(_ state: LedgerSnapshot, head: Int64, to tx: Connection, schema: String) throws {
        /// Copies one row per element of `items`, each written as `columns` by `row`.
        func copy<Items: Sequence>(
            _ table: String, _ columns: String, _ items: Items, _ row: (Items.Element, inout BinaryCopyRows) -> Void
        ) throws {
            let count = columns.split(separator: ",").count
            var rows = BinaryCopyRows()
            for item in items {
                rows.beginRow(fields: count)
                row(item, &rows)
            }
            try tx.copyIn("COPY \(schema).\(table) (\(columns)) FROM STDIN (FORMAT binary)", binary: rows)
        }
        try copy("users", "key, username, kind, role, status", state.users.values) { user, rows in
            for text in [user.key, user.username, user.kind.rawValue, user.role.rawValue, user.status.rawValue] {
                rows.text(text)
            }
        }
        try copy("groups", "key, name, source, is_deleted", state.groups.values) { group, rows in
            rows.text(group.key)
            rows.text(group.name)
            rows.text(group.source.rawValue)
            rows.bool(group.isDeleted)
        }
        try copy(
            "group_members", "group_key, user_key", state.members.lazy.flatMap { group, users in users.map { (group, $0) } }
        ) { member, rows in
            rows.text(member.0)
            rows.text(member.1)
        }
        try copy("workspaces", "id, owner, owner_key, name, name_key, template, status", state.workspaces.values) {
            workspace, rows in
            rows.int64(workspace.id)
            for text in [
                workspace.owner, workspace.ownerKey, workspace.name, workspace.nameKey, workspace.template,
                workspace.status.rawValue,
            ] { rows.text(text) }
        }
        func entries(_ table: String, _ columns: String, _ list: (WorkspaceACL) -> [ShareEntry]) throws {
            try copy(table, columns, state.acls.flatMap { id, acl in list(acl).map { (id, $0) } }) { item, rows in
                rows.int64(item.0)
                rows.text(item.1.key)
                rows.text(item.1.name)
                rows.text(item.1.role.rawValue)
            }
        }
        try entries("workspace_user_acl", "workspace_id, user_key, username, role", \.users)
        try entries("workspace_group_acl", "workspace_id, group_key, name, role", \.groups)
        try copy(
            "access", "workspace_id, user_key, username, role, held_role, via", state.access.values.lazy.flatMap(\.values)
        ) { row, rows in
            rows.int64(row.workspaceID)
            rows.text(row.userKey)
            rows.text(row.username)
            rows.text(row.role?.rawValue)
            rows.text(row.heldRole?.rawValue)
            rows.textArray(row.via)
        }
        try copy(
            "tokens",
            "user_key, name_key, username, name, lifetime_seconds, secret_sha256, created_at, expires_at, revoked_at",
            state.tokens.values
        ) { token, rows in
            for text in [token.userKey, token.nameKey, token.username, token.name] { rows.text(text) }
            rows.int64(token.lifetimeSeconds)
            rows.text(token.secretSHA256)
            rows.timestamp(unixMicroseconds: token.createdAt.microseconds)
            rows.timestamp(unixMicroseconds: token.expiresAt.microseconds)
            rows.timestamp(unixMicroseconds: token.revokedAt?.microseconds)
        }
        try copy("projection_state", "id, position", [head]) { head, rows in
            rows.bool(true)
            rows.int64(head)
        }
    }

    /// Recreates the live tables' indexes (same names) and primary keys on the scratch tables,
    /// after the data is in: building an index once is faster than maintaining it row by row.
    func createIndexes(_ tx: Connection, schema: String) throws {
        let indexes = try tx.query(
            """
            SELECT i.tablename, i.indexname, i.indexdef, c.conname
            FROM pg_indexes i
            LEFT JOIN pg_constraint c ON c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass
                                     AND c.contype = 'p'
            WHERE i.schemaname = 'public' AND i.tablename = ANY($1::text[])
            """, [Replay.tables])
        for row in indexes.rows {
            let table = try row.string(0)
            let definition = try row.string(2).replacingFirst(" ON public.\(table) ", with: " ON \(schema).\(table) ")
            try tx.query(definition)
            if let constraint = row[3] {
                try tx.query(
                    "ALTER TABLE \(schema).\(table) ADD CONSTRAINT \(constraint) PRIMARY KEY USING INDEX \(try row.string(1))"
                )
            }
        }
    }

    /// Replaces each live table by its rebuilt copy, keeping its privileges.
    func swap(_ tx: Connection) throws {
        for table in Replay.tables {
            let grants = try tx.query(
                """
                SELECT grantee, string_agg(privilege_type, ', ')
                FROM information_schema.role_table_grants
                WHERE table_schema = 'public' AND table_name = $1 AND grantee <> current_user
                GROUP BY grantee
                """, [table])
            try tx.query("DROP TABLE public.\(table)")
            try tx.query("ALTER TABLE \(Replay.scratchSchema).\(table) SET SCHEMA public")
            for grant in grants.rows {
                try tx.query(
                    "GRANT \(try grant.string(1)) ON public.\(table) TO \(try tx.escapeIdentifier(try grant.string(0)))"
                )
            }
        }
        try tx.query("DROP SCHEMA \(Replay.scratchSchema)")
    }

    // MARK: Comparing

    /// Rows that are live but not rebuilt, and rebuilt but not live, per table (at most 20 each).
    func differences(_ tx: Connection) throws -> [String] {
        var found: [String] = []
        let schema = Replay.scratchSchema
        for table in Replay.tables {
            let extra = try tx.query(
                "SELECT t::text FROM (SELECT * FROM public.\(table) EXCEPT ALL SELECT * FROM \(schema).\(table)) t "
                    + "ORDER BY 1 LIMIT 20")
            found += extra.rows.map { "\(table): live row \($0[0] ?? "") is not what the log gives" }
            let missing = try tx.query(
                "SELECT t::text FROM (SELECT * FROM \(schema).\(table) EXCEPT ALL SELECT * FROM public.\(table)) t "
                    + "ORDER BY 1 LIMIT 20")
            found += missing.rows.map { "\(table): row \($0[0] ?? "") from the log is missing or different" }
        }
        return found
    }
}

/// Replay's sink: keeps each entity's open interval in memory and writes closed intervals out
/// as binary COPY rows, so memory follows the current state, not the length of the log.
final class CopyHistorySink: HistorySink {
    private struct Interval {
        var values: [HistoryValue]
        var position: Int64
        var time: Timestamp
    }

    private var open: [HistoryTable: [[HistoryValue]: Interval]] = [:]
    private var buffers: [HistoryTable: BinaryCopyRows] = [:]
    private(set) var bufferedRows = 0

    func change(_ table: HistoryTable, key: [HistoryValue], values: [HistoryValue]?, position: Int64, time: Timestamp) {
        if let values {
            let next = Interval(values: values, position: position, time: time)
            if let previous = open[table, default: [:]].updateValue(next, forKey: key) {
                emit(table, key, previous, to: (position, time))
            }
        } else if let previous = open[table]?.removeValue(forKey: key) {
            emit(table, key, previous, to: (position, time))
        }
    }

    private func emit(_ table: HistoryTable, _ key: [HistoryValue], _ interval: Interval, to end: (Int64, Timestamp)?) {
        var rows = buffers.removeValue(forKey: table) ?? BinaryCopyRows()
        rows.beginRow(fields: key.count + interval.values.count + 4)
        for value in key { value.write(to: &rows) }
        for value in interval.values { value.write(to: &rows) }
        rows.int64(interval.position)
        rows.timestamp(unixMicroseconds: interval.time.microseconds)
        rows.int64(end?.0)
        rows.timestamp(unixMicroseconds: end?.1.microseconds)
        buffers[table] = rows
        bufferedRows += 1
    }

    /// Writes the still-open intervals (to_position NULL) to the buffers.
    func closeOpenIntervals() {
        for (table, entries) in open {
            for (key, interval) in entries { emit(table, key, interval, to: nil) }
        }
        open.removeAll()
    }

    func flush(to connection: Connection, schema: String) throws {
        for (table, rows) in buffers where rows.count > 0 {
            try connection.copyIn(
                "COPY \(schema).\(table.name) (\(table.columns.joined(separator: ", "))) FROM STDIN (FORMAT binary)",
                binary: rows)
            buffers[table]?.reset()
        }
        bufferedRows = 0
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
