import AccessModel
import PostgresClient

/// One rebuild of every projection into the scratch schema, from events handed to it in log
/// order: what ``Replay`` does with the log, and what an import (``HistoryImport``) does with the
/// log followed by the events it decides.
///
/// The events go through ``Projection`` into an ``InternedLedger`` (``state``, which the rules can
/// decide against; it answers as ``InMemoryLedger`` does, on integer keys) and their intervals to a ``ReplayHistorian`` that streams them into the scratch
/// tables over connections of its own. ``finish(head:)`` writes the current tables and builds
/// every index; the caller then compares or swaps (``Replay/swap(_:)``) in its own transaction,
/// which holds the append lock for the whole rebuild.
///
/// After ``init(connect:)`` succeeds, end with ``finish(head:)`` or, on any failure,
/// ``abandon()`` (which stops the history writer and drops the scratch schema); then ``close()``.
final class ProjectionRebuild {
    let connect: @Sendable () throws -> Connection
    /// Creates the scratch tables, reads the catalog, writes the current tables.
    private let setup: Connection
    private let historian: ReplayHistorian
    private let sink: QueuedHistorySink
    private let ledger: HistoryTrackingLedger<InternedLedger>
    /// The projections as of the last event applied.
    var state: InternedLedger { ledger.base }
    /// Events applied so far.
    private(set) var count: Int64 = 0
    /// Seconds spent in each stage.
    private(set) var clock = StageClock()
    /// Events applied one by one whose intervals are not yet passed to the history writer.
    private var unpassed = 0
    /// Whether the history writer still waits for messages (`.finish` or `.abandon` not sent).
    private var historianRunning = true

    /// Drops what a previous rebuild left in the scratch schema, creates empty copies of the
    /// projection tables there and starts the history writer.
    init(connect: @escaping @Sendable () throws -> Connection) throws {
        self.connect = connect
        let schema = Replay.scratchSchema
        let setup = try connect()
        do {
            try setup.query("DROP SCHEMA IF EXISTS \(schema) CASCADE")
            try setup.query("CREATE SCHEMA \(schema)")
            // Without autovacuum while they are built: otherwise it starts on the freshly loaded
            // tables and the swap waits for it to give way (deadlock_timeout, a second by default).
            for table in Replay.tables {
                try setup.query(
                    "CREATE TABLE \(schema).\(table) (LIKE public.\(table) INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
                        + "WITH (autovacuum_enabled = false)")
            }
        } catch {
            setup.close()
            throw error
        }
        self.setup = setup
        historian = ReplayHistorian(connect: connect, schema: schema)
        sink = QueuedHistorySink(historian: historian)
        ledger = HistoryTrackingLedger(base: InternedLedger(), sink: sink)
    }

    /// Applies the log's events through `head`, read and decoded on a thread of its own while the
    /// previous batch is applied.
    func applyLog(through head: Int64, progress: (Int64, Int64) -> Void) throws {
        let reader = ReplayReader(connect: connect, head: head)
        var failure: (any Error)?
        var applying = StageClock()
        // Applies what the reader decoded; after a failure, keeps taking (and dropping) batches
        // until the reader has stopped, so that neither thread waits for the other forever.
        reading: while true {
            switch applying.measure("wait for the log", { reader.batches.take() }) {
            case .events(let batch):
                guard failure == nil else { continue }
                do {
                    try applying.measure("apply") {
                        for event in batch {
                            try ledger.apply(event.event, position: event.position, occurredAt: event.occurredAt)
                        }
                    }
                    applying.measure("wait for the history writer") { sink.pass() }
                    count += Int64(batch.count)
                    progress(count, head)
                } catch {
                    failure = error
                    reader.stop()
                }
            case .end:
                break reading
            case .failed(let error):
                failure = failure ?? error
                break reading
            }
        }
        clock.add(applying)
        try? reader.worker.join()
        if let failure { throw failure }
    }

    /// Applies one event (after the log, in log order), e.g. one an import has just decided.
    func apply(_ event: LedgerEvent, position: Int64, occurredAt: Timestamp) throws {
        try clock.measure("apply") { try ledger.apply(event, position: position, occurredAt: occurredAt) }
        count += 1
        unpassed += 1
        if unpassed >= 1_024 {
            clock.measure("wait for the history writer") { sink.pass() }
            unpassed = 0
        }
    }

    /// Completes the scratch tables as of `head` (the last event applied): closes the history,
    /// writes the current tables and builds every index.
    func finish(head: Int64) throws {
        try clock.measure("wait for the history writer") {
            sink.pass()
            historianRunning = false
            historian.changes.put(.finish)
            try historian.worker.join()
        }
        // The temporal tables are complete: their indexes are built while the current tables
        // are written, then those get theirs.
        let replay = Replay(connect: connect)
        let builders = try (0..<3).map { _ in try connect() }
        defer { for connection in builders { connection.close() } }
        let schema = Replay.scratchSchema
        var building = try replay.startIndexes(
            of: HistoryTable.all.map(\.name), reading: setup, on: builders, schema: schema)
        try clock.measure("write current state") {
            try replay.copyCurrentState(state.snapshot(), head: head, to: setup, schema: schema)
        }
        try clock.measure("build indexes") {
            let current = try replay.startIndexes(
                of: Replay.currentTables, reading: setup, on: [setup], schema: schema)
            building.connections += current.connections
            building.primaryKeys += current.primaryKeys
            try replay.finishIndexes(building.connections)
            for statement in building.primaryKeys { try setup.query(statement) }
        }
    }

    /// After a failure: stops the history writer (nothing more is written) and drops the
    /// scratch schema, as far as that still works.
    func abandon() {
        if historianRunning {
            historianRunning = false
            historian.changes.put(.abandon)
        }
        try? historian.worker.join()
        _ = try? setup.query("DROP SCHEMA IF EXISTS \(Replay.scratchSchema) CASCADE")
    }

    func close() { setup.close() }
}
