import LedgerStore
import PostgresClient

/// `import`: bulk loading the generated history against a raw `COPY` of the very rows it
/// produced into a table of the same shape (`LIKE ledger_events INCLUDING ALL`: the same
/// columns, checks, keys and indexes, but no chain-checking trigger and no decisions).
struct ImportBench {
    let report: Report
    let preset: Preset
    let cluster: BenchCluster

    /// The columns of `ledger_events`, in table order.
    static let columns =
        "position, stream, stream_version, type, data, actor, reason, occurred_at, recorded_at, previous_hash, hash"

    /// `first` is the load of the main ledger (`ledgerDatabase`), which counts as the first run.
    func run(_ history: GeneratedHistory, first: LedgerLoad?, ledgerDatabase: String) throws {
        var imports = Samples(first.map { [$0.importRate] } ?? [])
        var loads = Samples(first.map { [$0.loadRate] } ?? [])
        for run in 0..<max(first == nil ? 1 : 0, preset.extraImports) {
            let load = try LedgerLoad.run(history, into: "bench_import", cluster: cluster)
            Log.line(
                "import run \(run + 2): \(Format.readable(load.importSeconds)) s + replay \(Format.readable(load.replaySeconds)) s"
            )
            imports.append(load.importRate)
            loads.append(load.loadRate)
        }
        try cluster.drop("bench_import")

        var rows: [[String?]] = []
        rows.reserveCapacity(history.expectedEvents)
        try cluster.owner(ledgerDatabase).stream("SELECT \(ImportBench.columns) FROM ledger_events ORDER BY position") {
            rows.append($0.values)
        }
        try cluster.recreate("bench_baseline")
        let baseline = try cluster.owner("bench_baseline")
        var copies = Samples()
        for _ in 0..<(1 + preset.extraImports) {
            try baseline.execute(
                script: "DROP TABLE IF EXISTS copy_events; CREATE TABLE copy_events (LIKE ledger_events INCLUDING ALL);"
            )
            let (_, seconds) = try MonotonicClock.time {
                try baseline.copyIn("COPY copy_events (\(ImportBench.columns)) FROM STDIN", rows: rows)
            }
            copies.append(Double(rows.count) / seconds)
        }
        try baseline.query("DROP TABLE copy_events")

        let (decided, decideSeconds) = try MonotonicClock.time { try ImportStages.decideInMemory(history) }
        try cluster.recreate("bench_import")
        let chainSeconds = try ImportStages.copyThroughChainTrigger(rows, into: try cluster.owner("bench_import"))
        try cluster.drop("bench_import")
        Log.line(
            "import stages: decide, project and chain in memory \(Format.readable(decideSeconds)) s; "
                + "COPY through the chain trigger \(Format.readable(chainSeconds)) s")
        report.add(
            Measurement(
                name: "import", unit: "events/s", samples: imports, baseline: "raw_copy", baselineSamples: copies,
                higherIsBetter: true))
        for (name, rate) in [
            ("import_stage_decide_in_memory", Double(decided) / decideSeconds),
            ("import_stage_copy_through_chain_trigger", Double(rows.count) / chainSeconds),
        ] {
            report.add(
                Measurement(
                    name: name, unit: "events/s", samples: Samples([rate]), baseline: "raw_copy",
                    baselineSamples: copies, higherIsBetter: true))
        }
        report.add(
            Measurement(
                name: "import_and_replay", unit: "events/s", samples: loads, baseline: "raw_copy",
                baselineSamples: copies, higherIsBetter: true))
    }
}
