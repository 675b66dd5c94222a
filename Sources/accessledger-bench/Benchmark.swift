import LedgerStore

/// The whole run: generate, load, then each measurement in turn, and the targets of the issue.
struct Benchmark {
    let options: BenchOptions
    let cluster: BenchCluster
    let report = Report()

    static let ledgerDatabase = "bench_ledger"
    static let smallDatabase = "bench_small"

    init(options: BenchOptions) {
        self.options = options
        cluster = BenchCluster(conninfo: options.conninfo)
    }

    /// The targets on 2 cores (ratios in the same run).
    static let targets =
        [
            Target(name: "import", baseline: "raw_copy", minimumRatio: 0.7, description: "bulk import ≥ 0.7× raw COPY"),
            Target(
                name: "cli_import", baseline: "raw_copy", minimumRatio: 0.7,
                description: "`accessledger import` (projections rebuilt included) ≥ 0.7× raw COPY"),
            Target(
                name: "append_8_writers", baseline: "head_row_insert_8_writers", minimumRatio: 0.8,
                description: "append, 8 writers ≥ 0.8× head-row-serialised plain insert"),
            Target(
                name: "replay", baseline: "raw_ordered_read", minimumRatio: 0.5,
                description: "replay ≥ 0.5× raw ordered read"),
            Target(
                name: "replay", baseline: "replay_before_interval_indexes", minimumRatio: 0.9,
                description: "replay no more than 10% slower than with the indexes before migration 0007"),
        ]
        + ["status", "shared_with_user", "shared_with_group", "has_access"].flatMap { name in
            CoderBaseline.Table.allCases.map { table in
                Target(
                    name: name, baseline: table.baselineName, minimumRatio: 1,
                    description: "\(name) no slower than \(table.baselineName)")
            }
        }

    func run() throws {
        let preset = options.preset
        let phases = options.phases
        Log.line("accessledger-bench --\(preset.name) --seed \(options.seed)")
        if !options.reuse { try cluster.createTemplate() }

        let history = generate(preset)
        let ledgerDatabase = Benchmark.ledgerDatabase
        let (load, events) = try loadLedger(history, into: ledgerDatabase)
        if phases.contains(.import) {
            try ImportBench(report: report, preset: preset, cluster: cluster).run(
                history, first: load, ledgerDatabase: ledgerDatabase)
            try CLIImportBench(report: report, cluster: cluster).run(history)
        }

        let state = try FinalState(reading: try cluster.owner(ledgerDatabase))
        let ledger = Ledger(connection: try cluster.application(ledgerDatabase))
        let queries = QueryBench(report: report, preset: preset, seed: options.seed)
        if phases.contains(.queries) {
            try cluster.recreate("bench_coder", from: nil)
            let coderConnection = try cluster.owner("bench_coder")
            try CoderBaseline.load(state, into: coderConnection, seed: options.seed)
            Log.line(
                "coder baseline loaded: \(state.workspaces.count) workspaces, \(state.users.count) users, "
                    + "\(state.groups.count) groups")
            try queries.run(ledger: ledger, coder: CoderBaseline(connection: coderConnection), state: state)
        }
        var asOfTargets: [Target] = []
        if phases.contains(.asOf), let smallName = preset.smallLog, let small = Preset.named(smallName) {
            let (_, smallEvents) = try loadLedger(generate(small), into: Benchmark.smallDatabase)
            try AsOfBench(report: report, preset: preset).run(
                large: .init(ledger: ledger, owner: try cluster.owner(ledgerDatabase), events: events),
                small: .init(
                    ledger: Ledger(connection: try cluster.application(Benchmark.smallDatabase)),
                    owner: try cluster.owner(Benchmark.smallDatabase), events: smallEvents))
            asOfTargets = AsOfBench.targets(largeEvents: events, smallEvents: smallEvents)
        }
        if phases.contains(.log) {
            try LogBench(report: report, preset: preset, cluster: cluster).run(
                database: ledgerDatabase, events: events, firstReplaySeconds: load?.replaySeconds)
        }
        if phases.contains(.append) {
            try AppendBench(report: report, preset: preset, cluster: cluster, seed: options.seed).run(
                ledgerDatabase: ledgerDatabase, baselineDatabase: "bench_baseline", state: state)
        }
        if phases.contains(.service) {
            try ServiceBench(report: report, preset: preset, cluster: cluster, seed: options.seed).run(
                ledgerDatabase: ledgerDatabase, baselineDatabase: "bench_baseline", state: state)
        }
        if phases.contains(.feed) {
            try FeedBench(report: report, preset: preset, cluster: cluster, seed: options.seed).run(
                ledgerDatabase: ledgerDatabase, state: state)
        }
        if phases.contains(.report) {
            try ReportBench(report: report, preset: preset, cluster: cluster).run(ledgerDatabase: ledgerDatabase)
        }
        if phases.contains(.everyone) {
            try EveryoneBench(report: report, preset: preset, cluster: cluster).run()
        }

        report.finish(
            targets: Benchmark.targets + ServiceBench.targets + FeedBench.targets + ReportBench.targets + asOfTargets
                + EveryoneBench.targets(preset: preset))
        Log.line("done")
    }

    /// Loads `history` into `database`, or with `--reuse` takes what an earlier run loaded there.
    /// Returns the load (`nil` when reused) and the number of events in the log.
    private func loadLedger(_ history: GeneratedHistory, into database: String) throws -> (LedgerLoad?, Int64) {
        if options.reuse {
            let events = try cluster.owner(database).query("SELECT count(*) FROM ledger_events").first?.int64(0) ?? 0
            Log.line("reusing \(database): \(events) events")
            return (nil, events)
        }
        let load = try LedgerLoad.run(history, into: database, cluster: cluster)
        Log.line(
            "loaded \(database): \(load.events) events; import \(Format.readable(load.importSeconds)) s, "
                + "replay \(Format.readable(load.replaySeconds)) s, \(load.refused) commands refused")
        if load.refused > 0 { Log.line("warning: the generator wrote \(load.refused) commands the rules refused") }
        return (load, load.events)
    }

    private func generate(_ preset: Preset) -> GeneratedHistory {
        var generator = HistoryGenerator(preset: preset, seed: options.seed)
        let (history, seconds) = MonotonicClock.time { generator.generate() }
        let kinds = history.commandCounts.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }
        Log.line(
            "generated \(preset.name): \(history.items.count) commands, ~\(history.expectedEvents) events "
                + "in \(Format.readable(seconds)) s (\(kinds.joined(separator: ", ")))")
        return history
    }
}
