import AccessModel
import AsyncHTTPClient
import Foundation
import LedgerStore
import PostgresClient

/// `service`: `accessledger serve` (the release binary, a child process on 127.0.0.1, port 0)
/// under 16 keep-alive clients of one ``HTTPClient``, against the ledger this run loaded.
///
/// - `service_read_acl`, `service_read_has_access`: `GET /api/v1/workspaces/{owner}/{name}/acl`
///   and `GET /api/v1/workspaces?q=has_access:USER` (throughput and latency), against the same
///   answers read through libpq by 16 threads with a connection each (``Ledger/sharingStatus(_:at:)``
///   and ``Ledger/listWorkspaces(search:at:)``, as the service runs them; no HTTP, no token check,
///   no JSON), with the same number of requests over the same sample of workspaces and users.
/// - `service_append`: `PATCH …/acl` that alternately grants and removes a bench user of its own
///   per client (`bench-http-N`) on that client's workspaces, so that every request appends,
///   against `head_row_insert_8_writers` of the same run; and the server's peak RSS under that load.
///
/// Each measurement runs one unmeasured warm-up round of `serviceWarmup` requests, then
/// `serviceRounds` rounds of `serviceRequests` (each bounded by `serviceRoundSeconds`); each
/// round gives one throughput sample, latencies are those of every measured request.
struct ServiceBench {
    let report: Report
    let preset: Preset
    let cluster: BenchCluster
    let seed: UInt64

    /// Concurrent HTTP clients (and libpq threads of the read baselines).
    static let clients = 16
    /// The site owner the bench's token belongs to (the generator's bootstrap owner).
    static let owner = "admin"

    static let readBaselines = (acl: "libpq_read_acl_16_threads", hasAccess: "libpq_has_access_16_threads")

    /// The targets on 2 cores (same run).
    static let targets = [
        Target(
            name: "service_read_acl", baseline: readBaselines.acl, minimumRatio: 0.5,
            description: "GET …/acl, 16 HTTP clients ≥ 0.5× the same reads through libpq, 16 threads"),
        Target(
            name: "service_read_acl_latency", baseline: readBaselines.acl, minimumRatio: 0,
            description: "GET …/acl, 16 HTTP clients: p99 latency under 10 ms", maximumP99: 10),
        Target(
            name: "service_read_has_access", baseline: readBaselines.hasAccess, minimumRatio: 0.5,
            description: "GET /workspaces?q=has_access:U, 16 HTTP clients ≥ 0.5× the same reads through libpq, 16 threads"),
        Target(
            name: "service_read_has_access_latency", baseline: readBaselines.hasAccess, minimumRatio: 0,
            description: "GET /workspaces?q=has_access:U, 16 HTTP clients: p99 latency under 10 ms", maximumP99: 10),
        Target(
            name: "service_append", baseline: "head_row_insert_8_writers", minimumRatio: 0.5,
            description: "PATCH …/acl, 16 HTTP clients ≥ 0.5× head-row-serialised plain insert, 8 writers"),
    ]

    /// Throughput samples (one per round) and the latencies of every measured request, in ms.
    struct Run {
        var rates = Samples()
        var latencies = Samples()
    }

    func run(ledgerDatabase: String, baselineDatabase: String, state: FinalState) throws {
        let binary = try ServerProcess.binary(environment: ProcessInfo.processInfo.environment)
        let admin = Ledger(connection: try cluster.application(ledgerDatabase))
        let clients = ServiceBench.clients

        // The same samples for the service and its baseline.
        var rng = SplitMix64(seed: seed ^ 0x5E2B1C)
        let workspaces = state.liveWorkspaces
        let users = state.activeUsers.map(\.username)
        guard !workspaces.isEmpty, !users.isEmpty else {
            throw BenchError("the generated ledger has no workspaces or users to ask the service about")
        }
        let count = max(1, preset.serviceRequests)
        let aclSamples = (0..<count).map { _ in rng.pick(workspaces).reference }
        let userSamples = (0..<count).map { _ in rng.pick(users) }

        // Each client's own user and workspaces (none shared with Everyone) for the appends.
        let everywhere = Set(
            try admin.connection.query("SELECT workspace_id FROM workspace_group_acl WHERE group_key = 'everyone'")
                .rows.map { try $0.int64(0) })
        var pool = state.liveWorkspaces.filter { !everywhere.contains($0.id) }.map(\.reference)
        pool.shuffle(using: &rng)
        guard pool.count >= clients else { throw BenchError("service: fewer than \(clients) workspaces to share") }
        let appendUsers = (0..<clients).map { "bench-http-\($0)" }
        let appendWorkspaces = (0..<clients).map { client in
            stride(from: client, to: pool.count, by: clients).map { pool[$0] }
        }
        try AppendBench.resetUsers(admin, appendUsers)
        let secret = try ServiceBench.createToken(admin, user: ServiceBench.owner)

        // The answers the service must give (their sizes), for the first few samples.
        let checked = 20
        let aclExpected = try aclSamples.prefix(checked).map { reference in
            let (status, _) = try admin.sharingStatus(reference)
            return status.users.count + status.groups.count
        }
        let hasAccessExpected = try userSamples.prefix(checked).map {
            try admin.listWorkspaces(search: "has_access:\($0)").0.count
        }

        // Baselines first, with nothing else running.
        let aclBaseline = try libpqReads(ledgerDatabase) { ledger, index in
            _ = try ledger.sharingStatus(aclSamples[index % aclSamples.count])
        }
        let hasAccessBaseline = try libpqReads(ledgerDatabase) { ledger, index in
            _ = try ledger.listWorkspaces(search: "has_access:\(userSamples[index % userSamples.count])")
        }
        let headRow = try headRowBaseline(ledgerDatabase: ledgerDatabase, baselineDatabase: baselineDatabase)

        let server = try ServerProcess(binary: binary, conninfo: cluster.conninfo(database: ledgerDatabase))
        defer { server.stop() }
        let idleKiB = server.peakResidentKiB() ?? 0
        Log.line("accessledger serve (pid \(server.pid)) listening on \(server.baseURL), \(idleKiB / 1024) MiB resident")
        let client = HTTPLoad.makeClient(connections: clients)
        defer { _ = try? runBlocking { try await client.shutdown() } }
        let load = HTTPLoad(client: client, baseURL: server.baseURL, authorization: "Bearer " + secret)

        do {
            let acl = try serviceRun(load, keep: checked) { index, _, _ in
                HTTPLoad.Call(method: .get, path: "/api/v1/workspaces/\(aclSamples[index % aclSamples.count])/acl")
            } check: { index, body in
                guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
                    let entries = object["acl"] as? [String: Any],
                    let users = entries["users"] as? [Any], let groups = entries["groups"] as? [Any]
                else { return "not a sharing status: \(body.prefix(200))" }
                return users.count + groups.count == aclExpected[index]
                    ? nil : "\(users.count + groups.count) ACL entries, libpq read \(aclExpected[index])"
            }
            add("service_read_acl", acl, baseline: ServiceBench.readBaselines.acl, aclBaseline, unit: "requests/s")

            let hasAccess = try serviceRun(load, keep: checked) { index, _, _ in
                HTTPLoad.Call(
                    method: .get, path: "/api/v1/workspaces?q=has_access:\(userSamples[index % userSamples.count])")
            } check: { index, body in
                guard let array = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [Any] else {
                    return "not a list: \(body.prefix(200))"
                }
                return array.count == hasAccessExpected[index]
                    ? nil : "\(array.count) workspaces, libpq read \(hasAccessExpected[index])"
            }
            add(
                "service_read_has_access", hasAccess, baseline: ServiceBench.readBaselines.hasAccess,
                hasAccessBaseline, unit: "requests/s")

            let afterReadsKiB = server.peakResidentKiB() ?? 0
            let reset = server.resetPeak()
            Log.line(
                "service peak RSS after the reads: \(afterReadsKiB / 1024) MiB"
                    + (reset ? "" : " (cannot reset the peak: the append figure includes the reads)"))

            let appended = Counter()
            let append = try serviceRun(load, keep: 0, continuing: true) { _, loop, step in
                let mine = appendWorkspaces[loop]
                let role = step % 2 == 0 ? "use" : ""
                return HTTPLoad.Call(
                    method: .patch, path: "/api/v1/workspaces/\(mine[(step / 2) % mine.count])/acl",
                    body: "{\"user_roles\": {\"\(appendUsers[loop])\": \"\(role)\"}}")
            } check: { _, body in
                if body.contains("\"position\"") { _ = appended.take() }
                return nil
            }
            let peakKiB = server.peakResidentKiB() ?? 0
            let requests = append.latencies.count + preset.serviceWarmup
            Log.line("service_append: \(appended.take()) of \(requests) requests appended events")
            if let metrics = try? runBlocking({ try await load.send(.init(method: .get, path: "/metrics")) }) {
                let commits = ServiceBench.metric("accessledger_commits_total", in: metrics.body)
                let commands = ServiceBench.metric("accessledger_committed_commands_total", in: metrics.body)
                if let commits, let commands, commits > 0 {
                    Log.line(
                        "service writer: \(Int(commands)) commands in \(Int(commits)) transactions "
                            + "(\(Format.readable(commands / commits)) per commit)")
                }
            }
            add(
                "service_append", append, baseline: "head_row_insert_8_writers", headRow, unit: "commands/s")
            if let library = report.measurements.first(where: {
                $0.name == "append_8_writers" && $0.baseline == "head_row_insert_8_writers"
            }) {
                // The ledger's own append (8 threads calling Ledger.execute) in this run: what the
                // service's single writer adds or saves over the library.
                report.add(
                    Measurement(
                        name: "service_append", unit: "commands/s", samples: append.rates,
                        baseline: "append_8_writers", baselineSamples: library.samples, higherIsBetter: true))
            }
            for (route, durations) in server.loggedDurations().sorted(by: { $0.key < $1.key })
            where route.contains("/api/") {
                Log.line(
                    "service log, \(route): \(durations.count) requests, in the server p50 "
                        + "\(Format.readable(durations.median)) ms, p99 \(Format.readable(durations.percentile(0.99))) ms")
            }
            report.add(
                Measurement(
                    name: "service_peak_rss", unit: "MiB", samples: Samples([Double(peakKiB) / 1024]),
                    baseline: "service_idle_rss", baselineSamples: Samples([Double(idleKiB) / 1024]),
                    higherIsBetter: false))
        } catch {
            Log.line("the service's log ends:\n\(server.logTail())")
            throw error
        }
    }

    /// Throughput and latency of one measurement against its baseline (two lines of the report).
    private func add(_ name: String, _ ours: Run, baseline: String, _ theirs: Run, unit: String) {
        report.add(
            Measurement(
                name: name, unit: unit, samples: ours.rates, baseline: baseline, baselineSamples: theirs.rates,
                higherIsBetter: true))
        report.add(
            Measurement(
                name: name + "_latency", unit: "ms", samples: ours.latencies, baseline: baseline,
                baselineSamples: theirs.latencies, higherIsBetter: false))
        Log.line(
            "\(name): p50 \(Format.readable(ours.latencies.median)) ms, p99 "
                + "\(Format.readable(ours.latencies.percentile(0.99))) ms; \(baseline): p50 "
                + "\(Format.readable(theirs.latencies.median)) ms, p99 \(Format.readable(theirs.latencies.percentile(0.99))) ms")
    }

    /// A warm-up round and the measured rounds of `call` from 16 clients. `check` looks at the
    /// answers (the first `keep` of the first measured round, or every answer when `keep` is 0)
    /// and returns what is wrong with one, if anything. With `continuing`, each client's step
    /// goes on from round to round (the appends alternate grant and removal).
    private func serviceRun(
        _ load: HTTPLoad, keep: Int, continuing: Bool = false,
        call: @escaping @Sendable (_ index: Int, _ loop: Int, _ step: Int) -> HTTPLoad.Call,
        check: @escaping @Sendable (_ index: Int, _ body: String) -> String?
    ) throws -> Run {
        let clients = ServiceBench.clients
        let preset = self.preset
        let everyAnswer = keep == 0
        return try runBlocking {
            var steps = Array(repeating: 0, count: clients)
            var run = Run()
            for round in 0...preset.serviceRounds {
                let warmup = round == 0
                let result = try await load.round(
                    loops: clients, count: warmup ? preset.serviceWarmup : max(1, preset.serviceRequests),
                    maxSeconds: preset.serviceRoundSeconds,
                    keep: everyAnswer ? Int.max : (round == 1 ? keep : 0),
                    startSteps: continuing ? steps : nil, call: call)
                steps = result.steps
                var problems: [String] = []
                for (index, body) in result.kept.sorted(by: { $0.key < $1.key }) {
                    if let problem = check(index, body) { problems.append("request \(index): \(problem)") }
                }
                if !problems.isEmpty {
                    Log.line("warning: the service's answer differs: \(problems.prefix(3).joined(separator: "; "))")
                }
                guard !warmup else { continue }
                run.rates.append(result.rate)
                for latency in result.latencies { run.latencies.append(latency) }
            }
            return run
        }
    }

    /// The same reads through libpq: 16 threads, a prepared connection each, the same rounds.
    private func libpqReads(_ database: String, _ read: @escaping @Sendable (Ledger, Int) throws -> Void) throws
        -> Run
    {
        let cluster = self.cluster
        var run = Run()
        for round in 0...preset.serviceRounds {
            let warmup = round == 0
            let completions = try Writers.run(
                count: ServiceBench.clients, seconds: preset.serviceRoundSeconds,
                operations: warmup ? preset.serviceWarmup : max(1, preset.serviceRequests)
            ) { _ in
                let ledger = Ledger(connection: try cluster.application(database))
                return { index in try read(ledger, index) }
            }
            guard !warmup else { continue }
            let seconds = completions.map(\.finishedAt).max() ?? 0
            run.rates.append(seconds > 0 ? Double(completions.count) / seconds : 0)
            for completion in completions { run.latencies.append(completion.milliseconds) }
        }
        return run
    }

    /// `head_row_insert_8_writers` of this run: the one the `append` phase measured, else
    /// measured now the same way.
    private func headRowBaseline(ledgerDatabase: String, baselineDatabase: String) throws -> Run {
        let baseline = "head_row_insert_8_writers"
        if let rates = report.measurements.first(where: { $0.name == "append_8_writers" && $0.baseline == baseline }),
            let latencies = report.measurements.first(where: {
                $0.name == "append_latency_8_writers" && $0.baseline == baseline
            })
        {
            return Run(rates: rates.baselineSamples, latencies: latencies.baselineSamples)
        }
        Log.line("service: measuring \(baseline) (the append phase did not run)")
        let append = AppendBench(report: report, preset: preset, cluster: cluster, seed: seed)
        let samples = try append.prepareBaselines(ledgerDatabase: ledgerDatabase, baselineDatabase: baselineDatabase)
        let measured = try append.measureHeadRowInsert(8, samples: samples, baselineDatabase: baselineDatabase)
        return Run(rates: measured.rates, latencies: measured.latencies)
    }

    /// Creates a token of `user` valid for 24 hours and returns its secret (`al_` and 64 hex
    /// digits; the ledger keeps its SHA-256).
    static func createToken(_ ledger: Ledger, user: String) throws -> String {
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...UInt8.max, using: &random) }
        let secret = "al_" + Hex.encode(bytes)
        let hash = Hex.encode(EventHasher.hash(previous: [], canonical: Array(secret.utf8)))
        let name = "bench-http-" + Hex.encode(bytes.suffix(4))
        try ledger.execute(
            .createToken(user: user, name: name, lifetime: "24h", secretSHA256: hash), actor: user)
        return secret
    }

    /// The value of an unlabelled sample `name` in Prometheus text.
    static func metric(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
