import LedgerStore
import PostgresClient

/// `status`, `shared_with_user`, `shared_with_group`, `has_access`: the ledger's reads
/// against the Coder-style jsonb storage loaded with the same final state, in the same run,
/// with the same randomly drawn names; and `as_of` on a long log against a short one.
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
        let warmup = preset.queryWarmup
        let repetitions = preset.queryRepetitions
        let mine = try measureLatency(warmup: warmup, repetitions: repetitions) { _ = try ours(names[$0]) }
        for table in CoderBaseline.Table.allCases {
            let baseline = try measureLatency(warmup: warmup, repetitions: repetitions) {
                _ = try theirs(names[$0], table)
            }
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

    // MARK: As of

    /// A ledger to ask `as_of` questions of.
    struct AsOfLog {
        var ledger: Ledger
        /// Reads the temporal tables to draw samples (not timed).
        var owner: Connection
        var events: Int64
    }

    /// `sharing status --at-position P` at random past positions of a long log and of a short one.
    func runAsOf(large: AsOfLog, small: AsOfLog) throws {
        let count = preset.queryWarmup + preset.queryRepetitions
        let largeSamples = try asOfSamples(large, count: count, seed: seed ^ 0xA50F)
        let smallSamples = try asOfSamples(small, count: count, seed: seed ^ 0xA50E)
        func measure(_ log: AsOfLog, _ samples: [(Int64, String)]) throws -> Samples {
            try measureLatency(warmup: preset.queryWarmup, repetitions: preset.queryRepetitions) { index in
                _ = try log.ledger.sharingStatus(samples[index].1, at: .position(samples[index].0))
            }
        }
        let smallLatency = try measure(small, smallSamples)
        let largeLatency = try measure(large, largeSamples)
        report.add(
            Measurement(
                name: "as_of_at_\(large.events)_events", unit: "ms", samples: largeLatency,
                baseline: "as_of_at_\(small.events)_events", baselineSamples: smallLatency, higherIsBetter: false))
    }

    /// Random past positions (in the last 90% of the log, after the setup) with a workspace that
    /// held its name at that point.
    private func asOfSamples(_ log: AsOfLog, count: Int, seed: UInt64) throws -> [(Int64, String)] {
        var rng = SplitMix64(seed: seed)
        let maxID = try log.owner.query("SELECT coalesce(max(id), 0) FROM workspace_history").first?.int64(0) ?? 0
        guard maxID > 0, log.events > 10 else { throw BenchError("as_of: the log has no workspaces") }
        var samples: [(Int64, String)] = []
        var attempts = 0
        while samples.count < count {
            attempts += 1
            guard attempts < count * 20 else { throw BenchError("as_of: could not find workspaces at past positions") }
            let position = log.events / 10 + Int64(rng.below(Int(log.events - log.events / 10)) + 1)
            let id = Int64(rng.below(Int(maxID)) + 1)
            let row = try log.owner.query(
                """
                SELECT owner, name FROM workspace_history
                WHERE id >= $2 AND from_position <= $1 AND (to_position IS NULL OR to_position > $1)
                  AND status <> 'deleted'
                ORDER BY id LIMIT 1
                """, [position, id]
            ).first
            if let row { samples.append((position, "\(try row.string(0))/\(try row.string(1))")) }
        }
        return samples
    }
}
