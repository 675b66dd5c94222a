import AccessModel
import Foundation
import LedgerStore
import PostgresClient

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `report`: the audit report of SPEC §9, `accessledger audit report … --output FILE` (the
/// release binary as a child, found as the service phase finds it: `ACCESSLEDGER_BENCH_SERVER`
/// or next to this executable; the harness does not link LedgerService), whole process
/// included: start, connect, gather (intervals, events, the access at the end, and a verify
/// of the whole chain), HTML, write.
///
/// - `audit_report_workspace`, `audit_report_user`: the busiest workspace and the busiest user
///   of the loaded ledger (most `access_history` rows) over the whole log, in ms, against
///   `audit history -o json` for the same arguments; and their sizes in MB (against the JSON's).
/// - `audit_report_10k`: a ledger of its own (`bench_report`) with one workspace of exactly
///   10,000 intervals (2,000 users, each shared, promoted, demoted while running, restarted,
///   removed and restarted: five intervals each); the targets, under 1 s and under 5 MB, are
///   for this one.
struct ReportBench {
    let report: Report
    let preset: Preset
    let cluster: BenchCluster

    static let database = "bench_report"
    /// Users of the synthetic workspace; five intervals each.
    static let syntheticUsers = 2_000
    static let syntheticWorkspace = "report-owner/busy"

    static let targets = [
        Target(
            name: "audit_report_10k", baseline: "audit_history_10k", minimumRatio: 0,
            description: "audit report of a workspace with 10,000 intervals under 1 s", maximumMedian: 1_000),
        Target(
            name: "audit_report_10k_size", baseline: "audit_history_10k_size", minimumRatio: 0,
            description: "audit report of a workspace with 10,000 intervals under 5 MB", maximumMedian: 5),
    ]

    func run(ledgerDatabase: String) throws {
        let binary = try ServerProcess.binary(environment: ProcessInfo.processInfo.environment)
        let owner = try cluster.owner(ledgerDatabase)
        defer { owner.close() }
        let workspace = try owner.query(
            """
            SELECT w.owner || '/' || w.name, count(*) FROM access_history h JOIN workspaces w ON w.id = h.workspace_id
            WHERE w.status <> 'deleted' GROUP BY w.id, w.owner, w.name ORDER BY 2 DESC, 1 LIMIT 1
            """
        ).first
        let user = try owner.query(
            """
            SELECT u.username, count(*) FROM access_history h JOIN users u ON u.key = h.user_key
            WHERE u.status <> 'deleted' GROUP BY u.key, u.username ORDER BY 2 DESC, 1 LIMIT 1
            """
        ).first
        let conninfo = cluster.conninfo(database: ledgerDatabase)
        if let workspace {
            try measure(
                "workspace", ["--workspace", try workspace.string(0)], rows: try workspace.int64(1),
                binary: binary, conninfo: conninfo)
        } else {
            Log.line("report: the ledger has no workspace with access history")
        }
        if let user {
            try measure(
                "user", ["--user", try user.string(0)], rows: try user.int64(1), binary: binary,
                conninfo: conninfo)
        } else {
            Log.line("report: the ledger has no user with access history")
        }

        let (load, seconds) = try MonotonicClock.time { try loadSynthetic() }
        Log.line(
            "\(ReportBench.database): \(load.events) events, \(ReportBench.syntheticUsers) users on "
                + "\(ReportBench.syntheticWorkspace), loaded in \(Format.readable(seconds)) s")
        let rows =
            try cluster.owner(ReportBench.database).query("SELECT count(*) FROM access_history").first?.int64(0) ?? 0
        try measure(
            "10k", ["--workspace", ReportBench.syntheticWorkspace], rows: rows, binary: binary,
            conninfo: cluster.conninfo(database: ReportBench.database))
        try cluster.drop(ReportBench.database)
    }

    /// Times `audit report ARGUMENTS` and `audit history ARGUMENTS -o json` (one warm-up each,
    /// then `reportRepetitions` runs) and records both, with the sizes of what they wrote and the
    /// number of intervals (`audit history`'s) against the report's `rect.bar` elements.
    private func measure(
        _ suffix: String, _ arguments: [String], rows: Int64, binary: String, conninfo: String
    ) throws {
        let html = try CLIProcess.temporaryFile("/tmp/accessledger-bench-report.XXXXXX")
        let json = try CLIProcess.temporaryFile("/tmp/accessledger-bench-history.XXXXXX")
        defer {
            unlink(html)
            unlink(json)
        }
        let reportArguments = ["audit", "report"] + arguments + ["--output", html, "--database", conninfo]
        let historyArguments = ["audit", "history"] + arguments + ["-o", "json", "--database", conninfo]
        let repetitions = max(1, preset.reportRepetitions)
        var reportTimes = Samples()
        var historyTimes = Samples()
        for index in 0...repetitions {
            let reportSeconds = try ReportBench.run(binary, reportArguments, stdout: "/dev/null")
            let historySeconds = try ReportBench.run(binary, historyArguments, stdout: json)
            if index > 0 {
                reportTimes.append(reportSeconds * 1_000)
                historyTimes.append(historySeconds * 1_000)
            }
        }
        let page = ChildProcess.readFile(html) ?? ""
        let bars = page.components(separatedBy: "<rect class=\"bar ").count - 1
        let reportMB = Double(page.utf8.count) / 1e6
        let historyText = ChildProcess.readFile(json) ?? ""
        let historyMB = Double(historyText.utf8.count) / 1e6
        // The intervals are what `audit history` answers (access_history rows, which chose the
        // subject, need not be one per interval).
        let parsed = try? JSONSerialization.jsonObject(with: Data(historyText.utf8))
        guard let history = parsed as? [Any] else {
            throw BenchError("audit history \(arguments.joined(separator: " ")) -o json did not print a JSON array")
        }
        let intervals = history.count
        Log.line(
            "audit report \(arguments.joined(separator: " ")): \(intervals) intervals (\(rows) access_history rows), "
                + "\(bars) bars, \(Format.readable(reportMB)) MB (history JSON \(Format.readable(historyMB)) MB)")
        if bars != intervals {
            Log.line("warning: the report drew \(bars) bars for \(intervals) audit history intervals")
        }
        let name = "audit_report_\(suffix)"
        let baseline = "audit_history_\(suffix)"
        report.add(
            Measurement(
                name: name, unit: "ms", samples: reportTimes, baseline: baseline, baselineSamples: historyTimes,
                higherIsBetter: false))
        report.add(
            Measurement(
                name: name + "_size", unit: "MB", samples: Samples([reportMB]), baseline: baseline + "_size",
                baselineSamples: Samples([historyMB]), higherIsBetter: false))
        report.add(
            Measurement(
                name: name + "_intervals", unit: "intervals", samples: Samples([Double(intervals)]),
                baseline: "rect_bar_elements", baselineSamples: Samples([Double(bars)]), higherIsBetter: false))
    }

    /// Runs `binary arguments…` with stdout to the file `stdout`, killed after `timeout`
    /// seconds; returns the seconds it took.
    /// - Throws: ``BenchError`` when it fails or times out.
    static func run(_ binary: String, _ arguments: [String], stdout: String, timeout: Double = 120) throws -> Double {
        let errorPath = try CLIProcess.temporaryFile("/tmp/accessledger-bench-report-err.XXXXXX")
        defer { unlink(errorPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_TRUNC, 0o600)
        let all = [binary] + arguments
        var pointers: [UnsafeMutablePointer<CChar>?] = all.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        let start = MonotonicClock.now()
        var child: pid_t = 0
        let spawned = posix_spawn(&child, binary, &actions, nil, pointers, environ)
        guard spawned == 0 else { throw BenchError("cannot start \(binary): error \(spawned)") }
        var status: Int32 = 0
        let deadline = start + timeout
        while true {
            let result = waitpid(child, &status, WNOHANG)
            if result == child { break }
            if result < 0 && errno != EINTR { throw BenchError("waitpid: errno \(errno)") }
            if MonotonicClock.now() > deadline {
                kill(child, SIGKILL)
                while waitpid(child, &status, 0) < 0 && errno == EINTR {}
                throw BenchError("\(arguments.prefix(2).joined(separator: " ")) did not finish within \(Int(timeout)) s")
            }
            usleep(1_000)
        }
        let seconds = MonotonicClock.now() - start
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            let tail = (ChildProcess.readFile(errorPath) ?? "").split(separator: "\n").suffix(10).joined(separator: "\n")
            throw BenchError("accessledger \(arguments.prefix(3).joined(separator: " ")) failed (status \(status)):\n\(tail)")
        }
        return seconds
    }

    /// Loads the synthetic ledger: a site owner, the workspace's owner, `syntheticUsers` users,
    /// one running workspace, and for every user five intervals (use; admin; demoted to use while
    /// running: pending; restarted: use; removed: pending; restarted: closed).
    private func loadSynthetic() throws -> ImportReport {
        var script = ScriptedHistory()
        func add(_ command: Command, _ actor: String?) { script.add(command, actor) }
        add(.createUser(username: "admin", serviceAccount: false, role: nil), nil)
        add(.createUser(username: "report-owner", serviceAccount: false, role: nil), "admin")
        let users = (0..<ReportBench.syntheticUsers).map { "report-user-\($0)" }
        for user in users { add(.createUser(username: user, serviceAccount: false, role: nil), "admin") }
        let workspace = ReportBench.syntheticWorkspace
        add(.createWorkspace(workspace: workspace, template: "oncall"), "report-owner")
        let chunks = stride(from: 0, to: users.count, by: 250).map { Array(users[$0..<min($0 + 250, users.count)]) }
        func share(_ role: String) {
            for chunk in chunks { add(.share(workspace: workspace, users: chunk.map { "\($0):\(role)" }, groups: []), "admin") }
        }
        share("use")
        share("admin")
        share("use")
        add(.restartWorkspace(workspace: workspace), "admin")
        for chunk in chunks { add(.unshare(workspace: workspace, users: chunk, groups: []), "admin") }
        add(.restartWorkspace(workspace: workspace), "admin")
        let imported = try script.load(into: ReportBench.database, cluster: cluster)
        if imported.refused > 0 { Log.line("warning: \(imported.refused) synthetic report commands were refused") }
        return imported
    }
}
