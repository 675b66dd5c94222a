import LedgerStore

/// Loads a generated history into a fresh ledger database the way a backfill or a migration
/// from another system would: ``Importer`` (decide in memory, chain, COPY in one transaction),
/// then ``Replay`` to build the projections from the log.
struct LedgerLoad {
    /// Events appended by the import.
    var events: Int64
    /// Commands the rules refused (the generator aims for none).
    var refused: Int
    var importSeconds: Double
    var replaySeconds: Double

    /// Events per second of the import alone.
    var importRate: Double { Double(events) / importSeconds }
    /// Events per second of import and replay together (until the ledger answers queries).
    var loadRate: Double { Double(events) / (importSeconds + replaySeconds) }

    /// Recreates `database` from the migrated template and loads `history` into it.
    static func run(_ history: GeneratedHistory, into database: String, cluster: BenchCluster) throws -> LedgerLoad {
        try cluster.recreate(database)
        let application = try cluster.application(database)
        let (report, importSeconds) = try MonotonicClock.time {
            try Importer(connection: application).run(history.items)
        }
        let target = try cluster.owner(database)
        let (_, replaySeconds) = try MonotonicClock.time { try Replay { try cluster.owner(database) }.run() }
        try target.query("VACUUM ANALYZE")
        let sizes = try target.query(
            """
            SELECT c.relname, c.reltuples::bigint, pg_size_pretty(pg_total_relation_size(c.oid))
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.reltuples > 0
            ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 6
            """
        ).rows.map { "\($0[0] ?? "?") \($0[1] ?? "?") rows \($0[2] ?? "?")" }
        Log.line("\(database) tables: \(sizes.joined(separator: ", "))")
        return LedgerLoad(
            events: report.events, refused: report.refused, importSeconds: importSeconds, replaySeconds: replaySeconds)
    }
}
