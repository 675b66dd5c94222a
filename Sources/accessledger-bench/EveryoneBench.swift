import AccessModel
import LedgerStore
import PostgresClient

/// `everyone`: sharing a running workspace with `Everyone` in an organisation of N users, and
/// removing that share again (which leaves all N pending revocation until a restart), each as
/// one command in a child process of its own (``ChildProcess``): seconds, peak memory, and the
/// rows it wrote. The baseline, in the same run and the same database, is the server alone
/// inserting the same number of rows into empty copies of `access` and `access_history` with
/// their indexes: the floor of materialising a row per user.
struct EveryoneBench {
    let report: Report
    let preset: Preset
    let cluster: BenchCluster

    static let database = "bench_everyone"
    static let workspace = "svc/everyone"

    /// Organisation sizes: 1,000 in quick mode (CI), 10,000 and 100,000 in full mode.
    var sizes: [Int] { preset.name == "full" ? [10_000, 100_000] : [1_000] }

    static func targets(preset: Preset) -> [Target] {
        guard preset.name == "full" else { return [] }
        return [
            Target(
                name: "share_everyone_10000_users", baseline: "server_insert_rows", minimumRatio: 0,
                description: "share with Everyone, 10,000 users, under 1 s", maximumMedian: 1_000)
        ]
    }

    func run() throws {
        for users in sizes {
            try load(users: users)
            let owner = try cluster.owner(Self.database)
            let conninfo = cluster.conninfo(database: Self.database)
            for job in [ChildProcess.Job.shareEveryone, .unshareEveryone] {
                let before = try counts(owner)
                let outcome = try ChildProcess.run(job, conninfo: conninfo)
                let after = try counts(owner)
                let written = zip(after, before).map { $0 - $1 }
                let floor = try serverFloor(owner, accessRows: written[0], historyRows: written[1])
                let name = "\(job == .shareEveryone ? "share" : "unshare")_everyone_\(users)_users"
                Log.line(
                    "\(name): \(Format.readable(outcome.seconds)) s, peak \(Format.readable(outcome.peakMiB)) MiB; "
                        + "rows written: \(written[0]) access rows changed, \(written[1]) history intervals "
                        + "(opened or closed), \(written[2]) events; the server alone inserting as many rows: "
                        + "\(Format.readable(floor)) s")
                report.add(
                    Measurement(
                        name: name, unit: "ms", samples: Samples([outcome.seconds * 1_000]),
                        baseline: "server_insert_rows", baselineSamples: Samples([floor * 1_000]),
                        higherIsBetter: false))
                report.add(
                    Measurement(
                        name: name + "_peak_rss", unit: "MiB", samples: Samples([outcome.peakMiB]),
                        baseline: "none", baselineSamples: Samples(), higherIsBetter: false))
            }
        }
    }

    /// A fresh ledger: `admin`, the service account `svc`, `users` members, and the running
    /// workspace `svc/everyone`; projections built by replay.
    private func load(users: Int) throws {
        var script = ScriptedHistory()
        script.add(.createUser(username: "admin", serviceAccount: false, role: nil), nil)
        script.add(.createUser(username: "svc", serviceAccount: true, role: nil), "admin")
        for index in 0..<users {
            script.add(
                .createUser(username: "member-\(String(index).leftPadded(to: 6))", serviceAccount: false, role: nil),
                "admin")
        }
        script.add(.createWorkspace(workspace: Self.workspace, template: "docs"), "admin")
        script.add(.startWorkspace(workspace: Self.workspace), "admin")
        let imported = try script.load(into: Self.database, cluster: cluster)
        guard imported.refused == 0 else { throw BenchError("everyone: \(imported.refused) commands refused") }
        try cluster.owner(Self.database).query("VACUUM ANALYZE")
    }

    /// Access rows with a role or held role, all history intervals ever opened or closed, events.
    private func counts(_ connection: Connection) throws -> [Int64] {
        let row = try connection.query(
            """
            SELECT (SELECT count(*) FROM access WHERE role IS NOT NULL OR held_role IS NOT NULL),
                   (SELECT count(*) + count(to_position) FROM access_history),
                   (SELECT count(*) FROM ledger_events)
            """
        ).first
        guard let row else { throw BenchError("everyone: no counts") }
        return [try row.int64(0), try row.int64(1), try row.int64(2)]
    }

    /// Seconds the server alone takes to insert `accessRows` rows into an empty copy of
    /// `access` and `historyRows` into one of `access_history`, indexes included.
    private func serverFloor(_ connection: Connection, accessRows: Int64, historyRows: Int64) throws -> Double {
        try connection.query("DROP TABLE IF EXISTS bench_floor_access, bench_floor_history")
        try connection.query("CREATE TABLE bench_floor_access (LIKE access INCLUDING ALL)")
        try connection.query("CREATE TABLE bench_floor_history (LIKE access_history INCLUDING ALL)")
        defer { _ = try? connection.query("DROP TABLE IF EXISTS bench_floor_access, bench_floor_history") }
        return try MonotonicClock.time {
            try connection.transaction { tx in
                try tx.query(
                    """
                    INSERT INTO bench_floor_access (workspace_id, user_key, username, role, via)
                    SELECT 1, 'member-' || i, 'member-' || i, 'use', '{Everyone}' FROM generate_series(1, $1::bigint) i
                    """, [accessRows])
                try tx.query(
                    """
                    INSERT INTO bench_floor_history (workspace_id, user_key, username, role, via, from_position, from_time)
                    SELECT 1, 'member-' || i, 'member-' || i, 'use', '{Everyone}', i, now()
                    FROM generate_series(1, $1::bigint) i
                    """, [historyRows])
            }
        }.seconds
    }
}
