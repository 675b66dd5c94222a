import AccessModel
import LedgerStore
import PostgresClient

/// `replay` and `verify` in events per second against a raw ordered read of the same table,
/// the first stages of replay on their own (to show what bounds it), and the peak resident
/// memory of replay and verify, each run in its own process (``ChildProcess``).
struct LogBench {
    let report: Report
    let preset: Preset
    let cluster: BenchCluster

    /// What the event store selects for each event (the same bytes cross the socket).
    static let eventColumns = """
        position, stream, stream_version, type, data::text, actor, reason,
        (extract(epoch FROM occurred_at) * 1000000)::bigint,
        (extract(epoch FROM recorded_at) * 1000000)::bigint, previous_hash, hash
        """

    /// Streams every event in position order and only counts the rows: the floor any reader of
    /// the whole log pays.
    static func rawOrderedRead(_ connection: Connection) throws -> Int64 {
        var count: Int64 = 0
        try connection.stream("SELECT \(eventColumns) FROM ledger_events ORDER BY position") { _ in count += 1 }
        return count
    }

    /// What the server alone spends storing and indexing the tables a replay builds: each
    /// rebuilt table is first written to a file in the (throwaway) cluster's data directory, unmeasured,
    /// then timed: COPY of every file into an empty copy of its table, and the same indexes, one
    /// statement after another on one connection. No client work at all, so a replay on this
    /// machine cannot take less than this divided by its cores.
    static func serverStoreAndIndex(_ connection: Connection) throws -> Double {
        let schema = "bench_floor"
        try connection.query("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        try connection.query("CREATE SCHEMA \(schema)")
        defer { _ = try? connection.query("DROP SCHEMA IF EXISTS \(schema) CASCADE") }
        let directory = try connection.query("SELECT current_setting('data_directory')").first?.string(0) ?? ""
        func file(_ table: String) throws -> String {
            try connection.escapeLiteral("\(directory)/bench_floor_\(table).bin")
        }
        for table in Replay.tables {
            try connection.query("COPY public.\(table) TO \(try file(table)) (FORMAT binary)")
            try connection.query(
                "CREATE TABLE \(schema).\(table) (LIKE public.\(table) INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        }
        let indexes = try connection.query(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1::text[])",
            [Replay.tables]
        ).rows.map { try $0.string(0).replacingOccurrences(of: " ON public.", with: " ON \(schema).") }
        return try MonotonicClock.time {
            for table in Replay.tables {
                try connection.query("COPY \(schema).\(table) FROM \(try file(table)) (FORMAT binary)")
            }
            for index in indexes { try connection.query(index) }
        }.seconds
    }

    private var repetitions: Int { max(1, preset.logRepetitions) }

    /// Runs `body` once unmeasured (unless `warm`), then `repetitions` times; the events per
    /// second of each run.
    private func rates(_ name: String, _ events: Int64, warm: Bool = false, _ body: () throws -> Void) throws -> Samples
    {
        if !warm { try body() }
        var seconds: [Double] = []
        for _ in 0..<repetitions { seconds.append(try MonotonicClock.time(body).seconds) }
        Log.line("\(name): \(seconds.map(Format.readable).joined(separator: ", ")) s")
        return Samples(seconds.map { Double(events) / $0 })
    }

    /// Runs `job` `repetitions` times in child processes: events per second and peak memory.
    private func childRuns(_ job: ChildProcess.Job, _ events: Int64, conninfo: String, earlier: [Double] = []) throws
        -> (rates: Samples, peaks: Samples, stages: [(name: String, seconds: [Double])])
    {
        var seconds = earlier
        var peaks = Samples()
        var stages: [(name: String, seconds: [Double])] = []
        for _ in 0..<repetitions {
            let outcome = try ChildProcess.run(job, conninfo: conninfo)
            seconds.append(outcome.seconds)
            peaks.append(outcome.peakMiB)
            for stage in outcome.stages {
                if let index = stages.firstIndex(where: { $0.name == stage.name }) {
                    stages[index].seconds.append(stage.seconds)
                } else {
                    stages.append((stage.name, [stage.seconds]))
                }
            }
        }
        Log.line(
            "\(job.rawValue): \(seconds.map(Format.readable).joined(separator: ", ")) s, peak "
                + "\(peaks.values.map(Format.readable).joined(separator: ", ")) MiB")
        return (Samples(seconds.map { Double(events) / $0 }), peaks, stages)
    }

    /// - Parameter firstReplaySeconds: the replay that loaded the ledger, counted as one run.
    func run(database: String, events: Int64, firstReplaySeconds: Double?) throws {
        let reader = try cluster.owner(database)
        let conninfo = cluster.conninfo(database: database)
        let raw = try rates("raw ordered read", events) { _ = try LogBench.rawOrderedRead(reader) }
        let decode = try rates("read and decode", events) {
            var count = 0
            try EventStore(connection: reader).forEachEvent { _ in count += 1 }
        }
        let apply = try rates("read, decode and apply in memory", events, warm: true) {
            let memory = InternedLedger()
            try EventStore(connection: reader).forEachEvent { try Projection.apply($0, to: memory) }
        }
        let rawChild = try childRuns(.rawRead, events, conninfo: conninfo)
        // Verify reads only the log: measured next to the raw read, before the replays below
        // rewrite the projections and leave autovacuum and the page cache busy with them.
        let verify = try childRuns(.verify, events, conninfo: conninfo)
        let replay = try childRuns(
            .replay, events, conninfo: conninfo, earlier: firstReplaySeconds.map { [$0] } ?? [])
        for stage in replay.stages {
            Log.line("replay stage \(stage.name): \(stage.seconds.map(Format.readable).joined(separator: ", ")) s")
        }
        let before = try replayWithIndexesBefore0007(reader, events: events, conninfo: conninfo)
        var floor: [Double] = []
        for _ in 0..<repetitions { floor.append(try LogBench.serverStoreAndIndex(reader)) }
        Log.line(
            "server alone, COPY and indexes of the rebuilt tables: "
                + "\(floor.map(Format.readable).joined(separator: ", ")) s")
        for (name, samples) in [
            ("replay", replay.rates), ("verify", verify.rates), ("replay_stage_read_and_decode", decode),
            ("replay_stage_apply_in_memory", apply),
            ("replay_stage_server_store_and_index", Samples(floor.map { Double(events) / $0 })),
        ] {
            report.add(
                Measurement(
                    name: name, unit: "events/s", samples: samples, baseline: "raw_ordered_read",
                    baselineSamples: raw, higherIsBetter: true))
        }
        report.add(
            Measurement(
                name: "replay", unit: "events/s", samples: replay.rates, baseline: "replay_before_interval_indexes",
                baselineSamples: before, higherIsBetter: true))
        for (name, peaks) in [("replay_peak_rss", replay.peaks), ("verify_peak_rss", verify.peaks)] {
            report.add(
                Measurement(
                    name: name, unit: "MiB", samples: peaks, baseline: "raw_ordered_read_peak_rss",
                    baselineSamples: rawChild.peaks, higherIsBetter: false))
        }
    }

    /// The indexes migration 0007 replaced, as they were (0003, 0006), and the ones it created.
    static let indexesBefore0007 = [
        "CREATE INDEX user_history_active_idx ON user_history (from_position, to_position) WHERE status = 'active'",
        "CREATE INDEX user_history_from_idx ON user_history (from_position)",
        "CREATE INDEX member_history_user_idx ON member_history (user_key, from_position)",
        "CREATE INDEX workspace_history_name_idx ON workspace_history (owner_key, name_key, from_position)",
        "CREATE INDEX acl_history_entry_idx ON acl_history (kind, key, from_position)",
        "CREATE INDEX access_history_user_idx ON access_history (user_key, from_position)",
        "CREATE INDEX access_history_held_idx ON access_history (from_position) WHERE held_role IS NOT NULL",
    ]
    static let indexesOf0007 = [
        "user_history_during_idx", "member_history_group_during_idx", "member_history_user_during_idx",
        "workspace_history_name_idx", "workspace_history_live_during_idx", "acl_history_workspace_during_idx",
        "acl_history_entry_during_idx", "access_history_workspace_during_idx", "access_history_user_during_idx",
        "access_history_held_during_idx",
    ]

    /// Replay with the temporal tables indexed as before migration 0007 (replay builds the
    /// indexes the live tables have): the live indexes are swapped for the old ones, replay
    /// runs `repetitions` times, and the 0007 indexes are put back. The price of the interval
    /// indexes, in the same run.
    func replayWithIndexesBefore0007(_ connection: Connection, events: Int64, conninfo: String) throws -> Samples {
        let saved = try connection.query(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname = ANY($1::text[])",
            [LogBench.indexesOf0007]
        ).rows.map { (try $0.string(0), try $0.string(1)) }
        guard saved.count == LogBench.indexesOf0007.count else {
            throw BenchError("replay before 0007: the database lacks some of its indexes")
        }
        for (name, _) in saved { try connection.query("DROP INDEX \(name)") }
        for statement in LogBench.indexesBefore0007 { try connection.query(statement) }
        let before = try childRuns(.replay, events, conninfo: conninfo)
        Log.line("(that was replay with the indexes as before migration 0007)")
        // The replays built the old indexes under the old names; build the 0007 ones again.
        let oldNames = LogBench.indexesBefore0007.map { String($0.split(separator: " ")[2]) }
        for name in oldNames { try connection.query("DROP INDEX \(name)") }
        let seconds = try MonotonicClock.time {
            for (_, definition) in saved { try connection.query(definition) }
        }.seconds
        Log.line("the 0007 indexes built again on the live tables in \(Format.readable(seconds)) s")
        return before.rates
    }
}
