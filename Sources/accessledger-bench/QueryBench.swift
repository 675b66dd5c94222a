import LedgerStore
import PostgresClient

/// `status`, `shared_with_user`, `shared_with_group`, `has_access`: the ledger's reads
/// against the Coder-style jsonb storage loaded with the same final state, in the same run,
/// with the same randomly drawn names.
struct QueryBench {
    let report: Report
    let preset: Preset
    let seed: UInt64

    /// One query on both sides: `ours(name)` and `theirs(name, table)`.
    private func compare(
        _ measurement: String, names: [String], ours: (String) throws -> Int,
        theirs: (String, CoderBaseline.Table) throws -> Int
    ) throws {
        // The answers must agree before their speed is compared.
        var mismatches: [String] = []
        for name in names.prefix(20) {
            let mine = try ours(name)
            for table in CoderBaseline.Table.allCases where try theirs(name, table) != mine {
                mismatches.append(name)
            }
        }
        if !mismatches.isEmpty {
            Log.line("warning: \(measurement): the baseline's answer differs for \(Set(mismatches).sorted().prefix(5))")
        }
        // Every name drawn is asked once on each side before any is timed: the phases before
        // this one leave either side's pages in or out of shared_buffers (the import phase
        // evicts the ledger's; the baseline is loaded just before), and a cold side loses
        // whatever its storage. Then the sides take turns, name by name, so both are timed under
        // the same load of the machine.
        let tables = CoderBaseline.Table.allCases
        for name in names {
            _ = try ours(name)
            for table in tables { _ = try theirs(name, table) }
        }
        let warmup = min(preset.queryWarmup, names.count)
        var mine = Samples()
        var baselines = Array(repeating: Samples(), count: tables.count)
        /// One call's latency in milliseconds.
        func milliseconds(_ body: () throws -> Int) rethrows -> Double { try MonotonicClock.time(body).seconds * 1_000 }
        for name in names[warmup...] {
            mine.append(try milliseconds { try ours(name) })
            for (index, table) in tables.enumerated() {
                baselines[index].append(try milliseconds { try theirs(name, table) })
            }
        }
        for (table, baseline) in zip(tables, baselines) {
            report.add(
                Measurement(
                    name: measurement, unit: "ms", samples: mine, baseline: table.baselineName,
                    baselineSamples: baseline, higherIsBetter: false))
        }
    }

    /// Runs the four comparisons.
    func run(ledger: Ledger, coder: CoderBaseline, state: FinalState) throws {
        let roundTrip = try measureLatency(warmup: preset.queryWarmup, repetitions: preset.queryRepetitions) { _ in
            try coder.connection.query("SELECT 1")
        }
        Log.line("one round trip (SELECT 1): \(Format.readable(roundTrip.median)) ms median")
        var rng = SplitMix64(seed: seed ^ 0x5EA2C4)
        let count = preset.queryWarmup + preset.queryRepetitions
        let workspaces = state.liveWorkspaces
        let users = state.activeUsers.map(\.username)
        let groups = state.groups.map(\.name)
        guard !workspaces.isEmpty, !users.isEmpty, !groups.isEmpty else {
            throw BenchError("the generated ledger has no workspaces, users or groups to query")
        }
        let workspaceSamples = (0..<count).map { _ in rng.pick(workspaces) }
        try compare(
            "status", names: workspaceSamples.map(\.reference),
            ours: { reference in
                let (status, _) = try ledger.sharingStatus(reference)
                return status.users.count + status.groups.count
            },
            theirs: { reference, table in
                let parts = reference.split(separator: "/").map(String.init)
                return try coder.sharingStatus(owner: parts[0], name: parts[1], table: table)
            })
        let userSamples = (0..<count).map { _ in rng.pick(users) }
        try compare(
            "shared_with_user", names: userSamples,
            ours: { try ledger.listWorkspaces(search: "shared_with_user:\($0)").0.count },
            theirs: { try coder.sharedWithUser($0, table: $1) })
        let groupSamples = (0..<count).map { _ in rng.pick(groups) }
        try compare(
            "shared_with_group", names: groupSamples,
            ours: { try ledger.listWorkspaces(search: "shared_with_group:\($0)").0.count },
            theirs: { try coder.sharedWithGroup($0, table: $1) })
        try compare(
            "has_access", names: (0..<count).map { _ in rng.pick(users) },
            ours: { try ledger.listWorkspaces(search: "has_access:\($0)").0.count },
            theirs: { try coder.hasAccess($0, table: $1) })
    }
}
