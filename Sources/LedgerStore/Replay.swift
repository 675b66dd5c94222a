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
