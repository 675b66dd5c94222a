import AccessModel
import Foundation
import PostgresClient

/// What `replay` and `replay --verify` did.
public struct ReplayReport: Sendable, Equatable {
    /// Events replayed.
    public var events: Int64
    /// `--verify`: each difference between the live projections and the replay, as text.
    public var differences: [String]
    /// Seconds spent in each stage, in order (for `tools/bench` and `--verbose` readers).
    public var stages: [(name: String, seconds: Double)] = []
    public var ok: Bool { differences.isEmpty }

    public init(events: Int64, differences: [String], stages: [(name: String, seconds: Double)] = []) {
        self.events = events
        self.differences = differences
        self.stages = stages
    }

    /// Equal when the outcome is: the stage timings differ from run to run.
    public static func == (a: ReplayReport, b: ReplayReport) -> Bool {
        a.events == b.events && a.differences == b.differences
    }
}

/// Adds up the time spent in named stages.
struct StageClock {
    private(set) var stages: [(name: String, seconds: Double)] = []
    private let clock = ContinuousClock()

    mutating func measure<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let start = clock.now
        let value = try body()
        let elapsed = start.duration(to: clock.now)
        add(name, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        return value
    }

    mutating func add(_ name: String, _ seconds: Double) {
        if let index = stages.firstIndex(where: { $0.name == name }) {
            stages[index].seconds += seconds
        } else {
            stages.append((name, seconds))
        }
    }

    mutating func add(_ other: StageClock) {
        for stage in other.stages { add(stage.name, stage.seconds) }
    }
}

/// Rebuilds every projection from the log: `replay` (swap the rebuilt tables in) and
/// `replay --verify` (compare, change nothing).
///
/// One transaction (on the *target* connection, as the tables' owner) takes the append lock
/// for the whole rebuild, so writers wait rather than fail, and ends with the swap, so readers
/// see the old tables until it commits and the new ones after. Meanwhile the log is streamed
/// through ``Projection`` into an ``InternedLedger`` (memory follows the size of the current
/// state, not the length of the log), and the rebuilt tables are filled in a scratch schema
/// over connections of their own: each temporal table receives its closed intervals through
/// a binary COPY that stays open for the whole replay, so the server stores them while the
/// next events are applied. The current tables are copied at the end, then every index is
/// built, the tables side by side. The scratch tables are committed as they are built (the
/// swap can only see committed tables); a replay that fails drops the scratch schema as far as
/// it still can, and the next replay drops whatever is left first. The rebuild itself is
/// ``ProjectionRebuild``, which `import` (``HistoryImport``) shares.
public struct Replay {
    /// The projection tables, in the order they are built and swapped.
    public static let currentTables = TableShape.current.map(\.name) + ["projection_state"]
    public static var tables: [String] { currentTables + HistoryTable.all.map(\.name) }
    static let scratchSchema = "accessledger_rebuild"

    /// Opens a connection to the ledger as the tables' owner (not under the append-only role);
    /// replay reads, writes and indexes over several at once, from several threads.
    public let connect: @Sendable () throws -> Connection

    public init(connect: @escaping @Sendable () throws -> Connection) {
        self.connect = connect
    }

    /// Rebuilds the projections and swaps them in atomically.
    public func run(progress: (Int64, Int64) -> Void = { _, _ in }) throws -> ReplayReport {
        try Ledger.mapErrors {
            let target = try connect()
            defer { target.close() }
            return try target.transaction { tx in
                var clock = StageClock()
                let count = try build(tx, clock: &clock, progress: progress)
                try clock.measure("swap") { try Replay.swap(tx) }
                return ReplayReport(events: count, differences: [], stages: clock.stages)
            }
        }
    }

    /// Rebuilds into the scratch schema, lists every difference from the live tables, and drops
    /// the scratch schema again: the projections are not changed.
    public func verify(progress: (Int64, Int64) -> Void = { _, _ in }) throws -> ReplayReport {
        try Ledger.mapErrors {
            let target = try connect()
            defer { target.close() }
            return try target.transaction { tx in
                var clock = StageClock()
                let count = try build(tx, clock: &clock, progress: progress)
                let found = try clock.measure("compare") { try self.differences(tx) }
                try tx.query("DROP SCHEMA \(Replay.scratchSchema) CASCADE")
                return ReplayReport(events: count, differences: found, stages: clock.stages)
            }
        }
    }

    // MARK: Building

    /// Takes the append lock, creates empty copies of the tables in the scratch schema and fills
    /// them from the log (``ProjectionRebuild``). Returns the number of events replayed.
    func build(_ tx: Connection, clock: inout StageClock, progress: (Int64, Int64) -> Void) throws -> Int64 {
        try tx.query("SELECT pg_advisory_xact_lock($1)", [EventStore.appendLockKey])
        let head = try tx.query("SELECT coalesce(max(position), 0) FROM ledger_events").first?.int64(0) ?? 0
        let rebuild = try ProjectionRebuild(connect: connect)
        defer { rebuild.close() }
        do {
            try rebuild.applyLog(through: head, progress: progress)
            try rebuild.finish(head: head)
        } catch {
            rebuild.abandon()
            throw error
        }
        clock.add(rebuild.clock)
        return rebuild.count
    }

    /// Writes the current tables from `state` (and `head` to `projection_state`) with binary
    /// COPYs into `schema`, each row encoded as the live path writes it (``TableRow``).
    func copyCurrentState(_ state: LedgerSnapshot, head: Int64, to tx: Connection, schema: String) throws {
        typealias Row = (key: [HistoryValue], values: [HistoryValue])
        func copy(_ table: TableShape, _ rows: some Sequence<Row>) throws {
            var encoded = BinaryCopyRows()
            for row in rows {
                encoded.beginRow(fields: table.columns.count)
                for value in row.key { value.write(to: &encoded) }
                for value in row.values { value.write(to: &encoded) }
            }
            try tx.copyIn(
                "COPY \(schema).\(table.name) (\(table.columns.joined(separator: ", "))) FROM STDIN (FORMAT binary)",
                binary: encoded)
        }
        try copy(.currentUsers, state.users.values.lazy.map(TableRow.user))
        try copy(.currentGroups, state.groups.values.lazy.map { TableRow.group($0, withSource: true) })
        try copy(
            .currentMembers,
            state.members.lazy.flatMap { group, users in
                users.map { Row(TableRow.member(groupKey: group, userKey: $0), []) }
            })
        try copy(.currentWorkspaces, state.workspaces.values.lazy.map(TableRow.workspace))
        try copy(
            .userEntries, state.acls.lazy.flatMap { id, acl in acl.users.map { TableRow.entry(workspaceID: id, $0) } })
        try copy(
            .groupEntries, state.acls.lazy.flatMap { id, acl in acl.groups.map { TableRow.entry(workspaceID: id, $0) } })
        try copy(
            .currentAccess,
            state.access.values.lazy.flatMap(\.values).map {
                Row(TableShape.accessKey($0.workspaceID, $0.userKey), TableShape.accessValues($0))
            })
        try copy(.currentTokens, state.tokens.values.lazy.map(TableRow.token))
        try copy(.currentWebhooks, state.webhooks.values.lazy.map(TableRow.webhook))
        var position = BinaryCopyRows()
        position.beginRow(fields: 2)
        position.bool(true)
        position.int64(head)
        try tx.copyIn("COPY \(schema).projection_state (id, position) FROM STDIN (FORMAT binary)", binary: position)
    }

    /// Index builds under way (``startIndexes(of:reading:on:schema:)``): the connections they
    /// were sent to, and the statements that make primary keys of the unique indexes built.
    struct IndexBuilds {
        var connections: [Connection]
        var primaryKeys: [String]
    }

    /// Starts recreating the live tables' indexes (same names) on the scratch copies of
    /// `tables`, after their data is in (building an index once is faster than maintaining it
    /// row by row). The indexes are dealt out to `connections` one by one, the costliest first
    /// to the least loaded (a GiST index costs several times a btree of the same table), and
    /// each connection is sent its statements at once: they work side by side, and
    /// ``finishIndexes(_:)`` waits for them. The primary keys are returned to be added after
    /// that: `ADD CONSTRAINT` locks its table exclusively, and each connection's batch is one
    /// transaction holding its tables until it ends, so adding them on the way could deadlock.
    func startIndexes(
        of tables: [String], reading catalog: Connection, on connections: [Connection], schema: String
    ) throws -> IndexBuilds {
        let indexes = try catalog.query(
            """
            SELECT i.tablename, i.indexname, i.indexdef, c.conname,
                   pg_relation_size((quote_ident($2) || '.' || quote_ident(i.tablename))::regclass)
            FROM pg_indexes i
            LEFT JOIN pg_constraint c ON c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass
                                     AND c.contype = 'p'
            WHERE i.schemaname = 'public' AND i.tablename = ANY($1::text[])
            """, [tables, schema])
        var builds: [(cost: Int64, sql: String)] = []
        var primaryKeys: [String] = []
        for row in indexes.rows {
            let table = try row.string(0)
            let definition = try row.string(2)
            let cost = max(try row.int64(4), 1) * (definition.contains(" USING gist ") ? 8 : 1)
            builds.append((cost, definition.replacingFirst(" ON public.\(table) ", with: " ON \(schema).\(table) ")))
            if let constraint = row[3] {
                primaryKeys.append(
                    "ALTER TABLE \(schema).\(table) ADD CONSTRAINT \(constraint) PRIMARY KEY USING INDEX \(try row.string(1))"
                )
            }
        }
        var work: [(load: Int64, sql: [String])] = connections.map { _ in (0, []) }
        for build in builds.sorted(by: { $0.cost > $1.cost }) {
            let slot = work.indices.min { work[$0].load < work[$1].load } ?? 0
            work[slot].load += build.cost
            work[slot].sql.append(build.sql)
        }
        var busy: [Connection] = []
        for (connection, batch) in zip(connections, work) where !batch.sql.isEmpty {
            try connection.send(batch.sql.joined(separator: ";\n"))
            busy.append(connection)
        }
        return IndexBuilds(connections: busy, primaryKeys: primaryKeys)
    }

    /// Waits for the index builds ``startIndexes(of:reading:on:schema:)`` sent, and throws the
    /// first error.
    func finishIndexes(_ connections: [Connection]) throws {
        var firstError: (any Error)?
        for connection in connections {
            do { try connection.finishSent() } catch { if firstError == nil { firstError = error } }
        }
        if let firstError { throw firstError }
    }

    /// Replaces each live table by its rebuilt copy, keeping its privileges, and drops the
    /// scratch schema. Runs in the transaction that holds the append lock.
    static func swap(_ tx: Connection) throws {
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
            try tx.query("ALTER TABLE public.\(table) RESET (autovacuum_enabled)")
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

/// Replay's reading thread: streams the log on a connection of its own and decodes the events
/// (``LedgerEvent``) in batches, while the replay applies the previous ones.
final class ReplayReader: Sendable {
    struct Decoded: Sendable {
        var event: LedgerEvent
        var position: Int64
        var occurredAt: Timestamp
    }

    enum Batch: Sendable {
        case events([Decoded])
        case end
        case failed(any Error)
    }

    struct Stopped: Error {}

    let batches = Handoff<Batch>(capacity: 16)
    private let stopped = Locked(false)
    let worker: Worker

    init(connect: @escaping @Sendable () throws -> Connection, head: Int64) {
        let batches = self.batches
        let stopped = self.stopped
        worker = Worker {
            do {
                let events = try connect()
                defer { events.close() }
                var batch: [Decoded] = []
                batch.reserveCapacity(1_024)
                try EventStore(connection: events).forEachEvent(through: head) { recorded in
                    let event: LedgerEvent
                    do { event = try LedgerEvent(recorded: recorded) } catch let error as EventDecodingError {
                        throw UnreadableEvent(position: recorded.position, problem: error.description)
                    }
                    batch.append(Decoded(event: event, position: recorded.position, occurredAt: recorded.occurredAt))
                    guard batch.count == 1_024 else { return }
                    guard !stopped.value else { throw Stopped() }
                    batches.put(.events(batch))
                    batch.removeAll(keepingCapacity: true)
                }
                if !batch.isEmpty { batches.put(.events(batch)) }
                batches.put(.end)
            } catch {
                batches.put(.failed(error))
                throw error
            }
        }
    }

    /// Asks the reader to stop at its next batch (it then sends `.failed`).
    func stop() { stopped.value = true }
}

/// One change of a temporal table, as the applying thread hands it to the history writer.
enum HistoryChange: Sendable {
    case row(HistoryTable, key: [HistoryValue], values: [HistoryValue]?, position: Int64, time: Timestamp)
    case access(workspaceID: Int64, userKey: String, row: AccessRow?, position: Int64, time: Timestamp)
}

/// Replay's history-writing thread: keeps the open intervals (``CopyHistorySink``) and streams
/// the closed ones to the scratch tables over binary COPYs on connections of its own.
final class ReplayHistorian: Sendable {
    enum Message: Sendable {
        case changes([HistoryChange])
        /// Close the open intervals, send everything and end the COPYs.
        case finish
        /// Stop; nothing more is kept.
        case abandon
    }

    let changes = Handoff<Message>(capacity: 16)
    let worker: Worker

    init(connect: @escaping @Sendable () throws -> Connection, schema: String) {
        let changes = self.changes
        worker = Worker {
            var failure: (any Error)?
            var connections: [Connection] = []
            defer { for connection in connections { connection.close() } }
            var streams: [HistoryTable: CopyInStream] = [:]
            do {
                for table in HistoryTable.all {
                    let connection = try connect()
                    connections.append(connection)
                    streams[table] = try CopyInStream(
                        connection,
                        sql: "COPY \(schema).\(table.name) (\(table.historyColumns.joined(separator: ", "))) "
                            + "FROM STDIN (FORMAT binary)")
                }
            } catch {
                failure = error
            }
            let sink = CopyHistorySink(streams: streams)
            // After a failure, keep taking (and dropping) messages until the end, so that the
            // applying thread never waits for this one forever.
            receiving: while true {
                switch changes.take() {
                case .changes(let batch):
                    guard failure == nil else { continue }
                    for change in batch {
                        switch change {
                        case .row(let table, let key, let values, let position, let time):
                            sink.change(table, key: key, values: values, position: position, time: time)
                        case .access(let workspaceID, let userKey, let row, let position, let time):
                            sink.changeAccess(
                                workspaceID: workspaceID, userKey: userKey, row: row, position: position, time: time)
                        }
                    }
                    if sink.pendingBytes >= 1 << 20 {
                        do { try sink.send() } catch { failure = error }
                    }
                case .finish:
                    guard failure == nil else { break receiving }
                    do {
                        sink.closeOpenIntervals()
                        try sink.send()
                        for stream in streams.values { try stream.finish() }
                    } catch {
                        failure = error
                    }
                    break receiving
                case .abandon:
                    break receiving
                }
            }
            if let failure { throw failure }
        }
    }
}

/// The applying thread's sink: queues each interval change and passes them to the
/// ``ReplayHistorian`` in batches.
final class QueuedHistorySink: HistorySink {
    private let historian: ReplayHistorian
    private var queued: [HistoryChange] = []

    init(historian: ReplayHistorian) {
        self.historian = historian
        queued.reserveCapacity(8_192)
    }

    func change(_ table: HistoryTable, key: [HistoryValue], values: [HistoryValue]?, position: Int64, time: Timestamp) {
        queued.append(.row(table, key: key, values: values, position: position, time: time))
    }

    func changeAccess(workspaceID: Int64, userKey: String, row: AccessRow?, position: Int64, time: Timestamp) {
        queued.append(.access(workspaceID: workspaceID, userKey: userKey, row: row, position: position, time: time))
    }

    /// Passes the queued changes on (waits while the historian is far behind).
    func pass() {
        guard !queued.isEmpty else { return }
        historian.changes.put(.changes(queued))
        queued = []
        queued.reserveCapacity(8_192)
    }
}

/// Replay's sink: keeps each entity's open interval in memory and streams closed intervals to
/// the table's open binary COPY, so memory follows the current state, not the length of the log.
final class CopyHistorySink: HistorySink {
    private struct Interval {
        var values: [HistoryValue]
        var position: Int64
        var time: Timestamp
    }

    private struct AccessKey: Hashable {
        var workspaceID: Int64
        var userKey: String
    }

    private struct OpenAccess {
        var row: AccessRow
        var position: Int64
        var time: Timestamp
    }

    private let streams: [HistoryTable: CopyInStream]
    /// Open access intervals, kept apart from ``open``: most intervals are access rows, and a
    /// typed key costs far less than an array of values.
    private var openAccess: [AccessKey: OpenAccess] = [:]
    private var accessRows = BinaryCopyRows()
    private var open: [HistoryTable: [[HistoryValue]: Interval]] = [:]
    private var buffers: [HistoryTable: BinaryCopyRows] = [:]
    /// Bytes encoded and not yet sent.
    private(set) var pendingBytes = 0

    init(streams: [HistoryTable: CopyInStream]) { self.streams = streams }

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

    func changeAccess(workspaceID: Int64, userKey: String, row: AccessRow?, position: Int64, time: Timestamp) {
        let key = AccessKey(workspaceID: workspaceID, userKey: userKey)
        let previous =
            if let row {
                openAccess.updateValue(OpenAccess(row: row, position: position, time: time), forKey: key)
            } else {
                openAccess.removeValue(forKey: key)
            }
        if let previous { emitAccess(key, previous, to: (position, time)) }
    }

    private func emitAccess(_ key: AccessKey, _ interval: OpenAccess, to end: (Int64, Timestamp)?) {
        pendingBytes += accessRows.appendInterval(
            key: HistoryTable.accessKey(key.workspaceID, key.userKey), values: HistoryTable.accessValues(interval.row),
            from: (interval.position, interval.time), to: end)
    }

    private func emit(_ table: HistoryTable, _ key: [HistoryValue], _ interval: Interval, to end: (Int64, Timestamp)?) {
        var rows = buffers.removeValue(forKey: table) ?? BinaryCopyRows()
        pendingBytes += rows.appendInterval(
            key: key, values: interval.values, from: (interval.position, interval.time), to: end)
        buffers[table] = rows
    }

    /// Writes the still-open intervals (to_position NULL) to the buffers.
    func closeOpenIntervals() {
        for (table, entries) in open {
            for (key, interval) in entries { emit(table, key, interval, to: nil) }
        }
        open.removeAll()
        for (key, interval) in openAccess { emitAccess(key, interval, to: nil) }
        openAccess.removeAll()
    }

    /// Sends the encoded rows to their streams.
    func send() throws {
        for table in Array(buffers.keys) {
            guard var rows = buffers.removeValue(forKey: table), let stream = streams[table] else { continue }
            try stream.send(&rows)
            buffers[table] = rows
        }
        if let stream = streams[.access] { try stream.send(&accessRows) }
        pendingBytes = 0
    }
}

extension BinaryCopyRows {
    /// Appends one row of a temporal table (``HistoryTable/columns``): key, values, from, to.
    /// - Returns: the bytes it added.
    fileprivate mutating func appendInterval(
        key: [HistoryValue], values: [HistoryValue], from: (Int64, Timestamp), to end: (Int64, Timestamp)?
    ) -> Int {
        let before = bytes.count
        beginRow(fields: key.count + values.count + 4)
        for value in key { value.write(to: &self) }
        for value in values { value.write(to: &self) }
        int64(from.0)
        timestamp(unixMicroseconds: from.1.microseconds)
        int64(end?.0)
        timestamp(unixMicroseconds: end?.1.microseconds)
        return bytes.count - before
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
