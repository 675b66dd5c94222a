import AccessModel
import LedgerStore
import PostgresClient

/// `append`: one command per transaction from 1 and 8 concurrent writers, against a plain
/// `INSERT` of an event row (same columns and indexes, no chain, no decision, no projections)
/// and against the same insert serialised through one head row, as any gap-free log must be.
///
/// Each writer of the ledger cycles through its own workspaces (none shared with `Everyone`):
/// share with its own fresh user, restart, remove that user — three commands of one event each,
/// decided, chained and projected exactly as the CLI does. Each run lasts `appendWindows`
/// windows; the first is a warm-up, each later window gives one throughput sample.
struct AppendBench {
    let report: Report
    let preset: Preset
    let cluster: BenchCluster
    let seed: UInt64

    /// The same kind of rows the ledger appends, taken from its log, for the baselines.
    struct SampleEvent: Sendable {
        var stream: String
        var type: String
        var data: String
        var actor: String
    }

    func run(ledgerDatabase: String, baselineDatabase: String, state: FinalState) throws {
        let owner = try cluster.owner(ledgerDatabase)
        let everywhere = Set(
            try owner.query("SELECT workspace_id FROM workspace_group_acl WHERE group_key = 'everyone'").rows.map {
                try $0.int64(0)
            })
        var rng = SplitMix64(seed: seed ^ 0xA99E4D)
        var pool = state.liveWorkspaces.filter { !everywhere.contains($0.id) }.map(\.reference)
        pool.shuffle(using: &rng)
        let samples = try prepareBaselines(ledgerDatabase: ledgerDatabase, baselineDatabase: baselineDatabase)
        let admin = Ledger(connection: try cluster.application(ledgerDatabase))

        let cluster = self.cluster
        for writers in [1, 8] {
            let label = writers == 1 ? "1_writer" : "\(writers)_writers"
            let workspaces = pool
            try AppendBench.resetUsers(admin, (0..<writers).map { "bench-\($0)" })
            let ours = try measure(writers) { writer in
                let ledger = Ledger(connection: try cluster.application(ledgerDatabase))
                let mine = stride(from: writer, to: workspaces.count, by: writers).map { workspaces[$0] }
                let user = "bench-\(writer)"
                return { step in
                    let workspace = mine[(step / 3) % mine.count]
                    let command: Command
                    switch step % 3 {
                    case 0: command = .share(workspace: workspace, users: ["\(user):use"], groups: [])
                    case 1: command = .restartWorkspace(workspace: workspace)
                    default: command = .unshare(workspace: workspace, users: [user], groups: [])
                    }
                    let outcome = try ledger.execute(command, actor: "admin")
                    guard outcome.events.count == 1 else {
                        throw BenchError("\(command) appended \(outcome.events.count) events, not 1")
                    }
                }
            }
            let plain = try measure(writers) { writer in
                let connection = try cluster.owner(baselineDatabase)
                return { step in
                    let event = samples[(writer * 7919 + step) % samples.count]
                    try connection.query(
                        """
                        INSERT INTO plain_events (\(ImportBench.columns))
                        VALUES (nextval('plain_position'), $1, currval('plain_position'), $2, $3::jsonb, $4, NULL,
                                now(), now(), $5::bytea, $5::bytea)
                        """, [event.stream, event.type, PostgresText(event.data), event.actor, AppendBench.hash])
                }
            }
            let serial = try measureHeadRowInsert(writers, samples: samples, baselineDatabase: baselineDatabase)
            let kinds = zip(["share", "restart", "remove"], ours.bySteps).map { kind, samples in
                "\(kind) \(Format.readable(samples.median)) ms (p99 \(Format.readable(samples.percentile(0.99))))"
            }
            Log.line("append, \(writers) writer(s), latency by command: \(kinds.joined(separator: ", "))")
            for (name, baselineRun) in [("plain_insert", plain), ("head_row_insert", serial)] {
                report.add(
                    Measurement(
                        name: "append_\(label)", unit: "commands/s", samples: ours.rates,
                        baseline: "\(name)_\(label)", baselineSamples: baselineRun.rates, higherIsBetter: true))
            }
            for (name, baselineRun) in [("plain_insert", plain), ("head_row_insert", serial)] {
                report.add(
                    Measurement(
                        name: "append_latency_\(label)", unit: "ms", samples: ours.latencies,
                        baseline: "\(name)_\(label)", baselineSamples: baselineRun.latencies, higherIsBetter: false))
            }
        }
    }

    /// Creates each writer's own user, or removes it from every ACL an earlier run (stopped
    /// half-way through a cycle) left it in, so that each writer's first share appends.
    static func resetUsers(_ admin: Ledger, _ users: [String]) throws {
        for user in users {
            guard try PostgresLedger(connection: admin.connection).user(key: user) != nil else {
                try admin.execute(.createUser(username: user, serviceAccount: false, role: nil), actor: "admin")
                continue
            }
            for listing in try admin.listWorkspaces(search: "shared_with_user:\(user)").0 {
                try admin.execute(
                    .unshare(workspace: listing.workspace.reference, users: [user], groups: []), actor: "admin")
            }
        }
    }

    /// The rows the baselines insert (the last 1000 events of the ledger), after creating
    /// their empty tables in `baselineDatabase`.
    func prepareBaselines(ledgerDatabase: String, baselineDatabase: String) throws -> [SampleEvent] {
        let samples = try cluster.owner(ledgerDatabase).query(
            "SELECT stream, type, data::text, actor FROM ledger_events ORDER BY position DESC LIMIT 1000"
        ).rows.map {
            SampleEvent(
                stream: try $0.string(0), type: try $0.string(1), data: try $0.string(2), actor: try $0.string(3))
        }
        try cluster.ensure(baselineDatabase)
        let baseline = try cluster.owner(baselineDatabase)
        try baseline.execute(
            script: """
                DROP TABLE IF EXISTS plain_events, serial_events, head;
                DROP SEQUENCE IF EXISTS plain_position;
                CREATE TABLE plain_events (LIKE ledger_events INCLUDING ALL);
                CREATE TABLE serial_events (LIKE ledger_events INCLUDING ALL);
                CREATE SEQUENCE plain_position;
                CREATE TABLE head (id boolean PRIMARY KEY DEFAULT true CHECK (id), position bigint NOT NULL);
                INSERT INTO head VALUES (true, 0);
                """)
        return samples
    }

    /// `head_row_insert_N_writers`: a plain insert serialised through one head row, `writers`
    /// at once (after ``prepareBaselines(ledgerDatabase:baselineDatabase:)``).
    func measureHeadRowInsert(_ writers: Int, samples: [SampleEvent], baselineDatabase: String) throws -> (
        rates: Samples, latencies: Samples, bySteps: [Samples]
    ) {
        let cluster = self.cluster
        return try measure(writers) { writer in
            let connection = try cluster.owner(baselineDatabase)
            return { step in
                let event = samples[(writer * 7919 + step) % samples.count]
                try connection.query(
                    """
                    WITH h AS (UPDATE head SET position = position + 1 RETURNING position)
                    INSERT INTO serial_events (\(ImportBench.columns))
                    SELECT h.position, $1, h.position, $2, $3::jsonb, $4, NULL, now(), now(), $5::bytea, $5::bytea
                    FROM h
                    """, [event.stream, event.type, PostgresText(event.data), event.actor, AppendBench.hash])
            }
        }
    }

    /// A fixed 32-byte hash for the baseline rows (they are not chained).
    static let hash = ByteA(Array(repeating: 0xAB, count: 32))

    /// Throughput per window (warm-up window dropped) and the latencies of the measured windows.
    /// Throughput per window (warm-up window dropped), the latencies of the measured windows,
    /// and those latencies split by the writer's step modulo 3 (share, restart, remove).
    private func measure(_ writers: Int, prepare: @escaping Writers.Prepare) throws -> (
        rates: Samples, latencies: Samples, bySteps: [Samples]
    ) {
        let window = preset.appendWindowSeconds
        let windows = max(2, preset.appendWindows)
        let completions = try Writers.run(count: writers, seconds: window * Double(windows), prepare: prepare)
        var perWindow = Array(repeating: 0, count: windows)
        var latencies = Samples()
        var bySteps = [Samples(), Samples(), Samples()]
        for completion in completions where completion.finishedAt < window * Double(windows) {
            let index = min(windows - 1, Int(completion.finishedAt / window))
            perWindow[index] += 1
            guard index > 0 else { continue }
            latencies.append(completion.milliseconds)
            bySteps[completion.step % 3].append(completion.milliseconds)
        }
        return (Samples(perWindow.dropFirst().map { Double($0) / window }), latencies, bySteps)
    }
}
