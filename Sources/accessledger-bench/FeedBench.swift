import AccessModel
import Foundation
import LedgerStore
import PostgresClient

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `feed` (SPEC §8, following the ledger):
///
/// - `follow_throughput`: events per second that `accessledger audit follow --after 0 -o json`
///   (the release binary, a child process) prints for the whole log, from its start until it has
///   printed the last event (its stdout is a pipe the harness drains and counts lines on), against
///   `raw_ordered_read` of the same run (the log phase's, else measured here).
/// - `notify_latency_long_poll`, `notify_latency_webhook`: from the moment
///   `Ledger.execute(.unshare …)` returns (after COMMIT) until a follower of
///   `GET /api/v1/events?after=…&wait=30` on a running `accessledger serve` has the answer that
///   carries that event, and until a webhook (`--types workspace_unshared`, registered with
///   `accessledger webhooks add` before the service starts) has POSTed it to a receiver inside the
///   harness on 127.0.0.1. Against `pg_listen_notify`: the same moment to the arrival of that
///   COMMIT's NOTIFY on a plain libpq LISTEN connection (the floor of both paths). Measured
///   under 8 writers appending continuously (``BackgroundWriters``), one toggle at a time (the
///   measured removal, then an unmeasured share back), a few ms apart.
struct FeedBench {
    let report: Report
    let preset: Preset
    let cluster: BenchCluster
    let seed: UInt64

    /// The user and webhook of the measured toggles.
    static let notifyUser = "bench-notify"
    static let webhook = "bench-notify"
    /// Background writers during `notify_latency`.
    static let backgroundWriters = 8
    static let listenBaseline = "pg_listen_notify"

    static let targets = [
        Target(
            name: "follow_throughput", baseline: "raw_ordered_read", minimumRatio: 0.5,
            description: "audit follow --after 0 -o json ≥ 0.5× raw ordered read"),
        Target(
            name: "notify_latency_long_poll", baseline: listenBaseline, minimumRatio: 0,
            description: "commit → long poll answer, 8 writers: p50 under 20 ms", maximumMedian: 20),
        Target(
            name: "notify_latency_long_poll", baseline: listenBaseline, minimumRatio: 0,
            description: "commit → long poll answer, 8 writers: p99 under 100 ms", maximumP99: 100),
        Target(
            name: "notify_latency_webhook", baseline: listenBaseline, minimumRatio: 0,
            description: "commit → webhook POST received, 8 writers: p50 under 20 ms", maximumMedian: 20),
        Target(
            name: "notify_latency_webhook", baseline: listenBaseline, minimumRatio: 0,
            description: "commit → webhook POST received, 8 writers: p99 under 100 ms", maximumP99: 100),
    ]

    /// Measured toggles (after a few unmeasured ones) and the most seconds they may take.
    var notifySamples: Int { preset.name == "full" ? 500 : 50 }
    var notifySeconds: Double { preset.name == "full" ? 300 : 30 }
    static let notifyWarmup = 5

    func run(ledgerDatabase: String, state: FinalState) throws {
        let binary = try ServerProcess.binary(environment: ProcessInfo.processInfo.environment)
        try followThroughput(binary: binary, database: ledgerDatabase)
        try notifyLatency(binary: binary, database: ledgerDatabase, state: state)
    }

    // MARK: follow_throughput

    func followThroughput(binary: String, database: String) throws {
        let owner = try cluster.owner(database)
        let row = try owner.query("SELECT count(*), coalesce(max(position), 0) FROM ledger_events").first
        let events = try row?.int64(0) ?? 0
        let head = try row?.int64(1) ?? 0
        guard events > 0 else { throw BenchError("feed: the ledger is empty") }
        let conninfo = cluster.conninfo(database: database)
        let repetitions = max(1, preset.logRepetitions)
        // Generous: a follower at 2k events/s still finishes.
        let timeout = max(60, Double(events) / 2_000)

        var rates = Samples()
        var startups: [Double] = []
        if events < 100_000 {  // a warm-up (a large log was just loaded or read: warm already)
            _ = try followOnce(binary: binary, conninfo: conninfo, events: events, head: head, timeout: timeout)
        }
        for _ in 0..<repetitions {
            let run = try followOnce(binary: binary, conninfo: conninfo, events: events, head: head, timeout: timeout)
            rates.append(Double(events) / run.seconds)
            startups.append(run.firstLine)
            Log.line(
                "audit follow --after 0: \(events) events in \(Format.readable(run.seconds)) s (first line after "
                    + "\(Format.readable(run.firstLine * 1000)) ms; "
                    + "\(Format.readable(Double(events) / max(1e-9, run.seconds - run.firstLine))) "
                    + "events/s after it)")
        }

        let raw: Samples
        if let replay = report.measurements.first(where: { $0.baseline == "raw_ordered_read" && $0.unit == "events/s" })
        {
            raw = replay.baselineSamples
        } else {
            _ = try LogBench.rawOrderedRead(owner)
            var seconds: [Double] = []
            for _ in 0..<repetitions {
                seconds.append(try MonotonicClock.time { _ = try LogBench.rawOrderedRead(owner) }.seconds)
            }
            Log.line("raw ordered read: \(seconds.map(Format.readable).joined(separator: ", ")) s")
            raw = Samples(seconds.map { Double(events) / $0 })
        }
        report.add(
            Measurement(
                name: "follow_throughput", unit: "events/s", samples: rates, baseline: "raw_ordered_read",
                baselineSamples: raw, higherIsBetter: true))
    }

    /// One `audit follow --after 0 -o json` until it printed the event at `head` (the
    /// `events`-th line), then SIGINT. Seconds from the spawn to the last line, and to the first.
    private func followOnce(binary: String, conninfo: String, events: Int64, head: Int64, timeout: Double) throws
        -> (seconds: Double, firstLine: Double)
    {
        let start = MonotonicClock.now()
        let follower = try CLIProcess(
            binary: binary, arguments: ["audit", "follow", "--after", "0", "-o", "json", "--database", conninfo])
        defer { follower.stop() }
        var lines: Int64 = 0
        var firstLine = 0.0
        var tail: [UInt8] = []  // bytes after the last newline so far
        var lastLine: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 18)
        let deadline = start + timeout
        reading: while lines < events {
            guard MonotonicClock.now() < deadline else {
                throw BenchError(
                    "audit follow printed \(lines) of \(events) events within \(Int(timeout)) s\n"
                        + follower.errorTail()
                )
            }
            var descriptor = pollfd(fd: follower.output, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 200)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            let count = read(follower.output, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                throw BenchError(
                    "audit follow ended after \(lines) of \(events) events\n\(follower.errorTail())")
            }
            var lineStart = 0
            for index in 0..<count where buffer[index] == UInt8(ascii: "\n") {
                lines += 1
                if lines == 1 { firstLine = MonotonicClock.now() - start }
                if lines == events {
                    let seconds = MonotonicClock.now() - start
                    lastLine = (lineStart == 0 ? tail : []) + buffer[lineStart..<index]
                    // The last line must be the event at the head.
                    let position = (try? JSONSerialization.jsonObject(with: Data(lastLine)) as? [String: Any])
                        .flatMap { ($0["position"] as? NSNumber)?.int64Value }
                    guard position == head else {
                        throw BenchError(
                            "audit follow's line \(events) is not the event at \(head): "
                                + String(decoding: lastLine.prefix(200), as: UTF8.self))
                    }
                    let status = follower.stop()
                    if let status, status != 0 {
                        Log.line("warning: audit follow exited with status \(status) on SIGINT")
                    }
                    return (seconds, firstLine)
                }
                lineStart = index + 1
            }
            if lineStart == 0 { tail += buffer[0..<count] } else { tail = Array(buffer[lineStart..<count]) }
            continue reading
        }
        throw BenchError("audit follow: no lines to count")
    }

    // MARK: notify_latency

    func notifyLatency(binary: String, database: String, state: FinalState) throws {
        let conninfo = cluster.conninfo(database: database)
        let admin = Ledger(connection: try cluster.application(database))
        let writers = FeedBench.backgroundWriters

        // The measured workspace and each writer's own, none shared with Everyone.
        let everywhere = Set(
            try admin.connection.query("SELECT workspace_id FROM workspace_group_acl WHERE group_key = 'everyone'")
                .rows.map { try $0.int64(0) })
        var rng = SplitMix64(seed: seed ^ 0xFEED)
        var pool = state.liveWorkspaces.filter { !everywhere.contains($0.id) }.map(\.reference)
        pool.shuffle(using: &rng)
        guard pool.count > writers + 1 else { throw BenchError("feed: fewer than \(writers + 1) workspaces to share") }
        let measured = pool[0]
        let rest = Array(pool.dropFirst())
        let writerUsers = (0..<writers).map { "bench-feed-\($0)" }
        let writerWorkspaces = (0..<writers).map { writer in
            stride(from: writer, to: rest.count, by: writers).map { rest[$0] }
        }
        try AppendBench.resetUsers(admin, writerUsers + [FeedBench.notifyUser])
        try admin.execute(
            .share(workspace: measured, users: ["\(FeedBench.notifyUser):use"], groups: []), actor: "admin")
        let secret = try ServiceBench.createToken(admin, user: ServiceBench.owner)

        // The receiver, and the webhook registered through the CLI before the service starts.
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let webhookArguments = ["--as", ServiceBench.owner, "--database", conninfo]
        _ = try? CLIProcess.run(binary, arguments: ["webhooks", "remove", FeedBench.webhook] + webhookArguments)
        let added = try CLIProcess.run(
            binary,
            arguments: ["webhooks", "add", FeedBench.webhook, "--url", receiver.url, "--types", "workspace_unshared"]
                + webhookArguments)
        guard added.code == 0 else {
            throw BenchError("accessledger webhooks add exited \(added.code):\n\(added.output)")
        }
        defer {
            // After the service stopped (the defers below run first).
            if let removed = try? CLIProcess.run(
                binary, arguments: ["webhooks", "remove", FeedBench.webhook] + webhookArguments), removed.code != 0
            {
                Log.line("warning: accessledger webhooks remove exited \(removed.code): \(removed.output.prefix(300))")
            }
        }

        let server = try ServerProcess(binary: binary, conninfo: conninfo)
        defer { server.stop() }
        Log.line("accessledger serve (pid \(server.pid)) on \(server.baseURL), webhook receiver on \(receiver.url)")
        let client = HTTPLoad.makeClient(connections: 2)
        defer { _ = try? runBlocking { try await client.shutdown() } }
        let load = HTTPLoad(client: client, baseURL: server.baseURL, authorization: "Bearer " + secret)

        do {
            let listener = try NotifyListener(conninfo: conninfo)
            defer { listener.stop() }
            let head = try EventStore(connection: admin.connection).headPosition()
            let follower = LongPollFollower(load: load, after: head)
            defer { follower.stop() }
            let background = BackgroundWriters(
                cluster: cluster, database: database, users: writerUsers, workspaces: writerWorkspaces,
                maxSeconds: notifySeconds + 60)
            var backgroundStopped = false
            defer { if !backgroundStopped { _ = background.stop() } }
            usleep(300_000)  // the writers connected and running

            var longPoll = Samples()
            var webhook = Samples()
            var listen = Samples()
            var missed: [String] = []
            let started = MonotonicClock.now()
            let total = FeedBench.notifyWarmup + notifySamples
            var taken = 0
            while taken < total && MonotonicClock.now() - started < notifySeconds {
                let outcome = try admin.execute(
                    .unshare(workspace: measured, users: [FeedBench.notifyUser], groups: []), actor: "admin")
                let committed = MonotonicClock.now()
                guard let event = outcome.events.first, event.type == LedgerEventType.workspaceUnshared.rawValue else {
                    throw BenchError(
                        "feed: removing \(FeedBench.notifyUser) from \(measured) appended no workspace_unshared")
                }
                let position = event.position
                var arrivals: (poll: Double?, hook: Double?, notify: Double?) = (nil, nil, nil)
                let deadline = committed + 5
                while MonotonicClock.now() < deadline {
                    arrivals = (
                        follower.arrival(of: position), receiver.arrival(of: position), listener.arrival(of: position)
                    )
                    if arrivals.poll != nil && arrivals.hook != nil && arrivals.notify != nil { break }
                    if let failure = follower.failure { throw BenchError("long poll follower: \(failure)") }
                    usleep(500)
                }
                if taken >= FeedBench.notifyWarmup {
                    func milliseconds(_ at: Double?) -> Double? { at.map { max(0, $0 - committed) * 1000 } }
                    if let value = milliseconds(arrivals.poll) {
                        longPoll.append(value)
                    } else {
                        missed.append("long poll @\(position)")
                    }
                    if let value = milliseconds(arrivals.hook) {
                        webhook.append(value)
                    } else {
                        missed.append("webhook @\(position)")
                    }
                    if let value = milliseconds(arrivals.notify) {
                        listen.append(value)
                    } else {
                        missed.append("NOTIFY @\(position)")
                    }
                }
                taken += 1
                try admin.execute(
                    .share(workspace: measured, users: ["\(FeedBench.notifyUser):use"], groups: []), actor: "admin")
                usleep(UInt32.random(in: 5_000...15_000, using: &rng))
            }
            let measuredSeconds = MonotonicClock.now() - started
            let appended = background.stop()
            backgroundStopped = true
            Log.line(
                "notify_latency: \(taken - min(taken, FeedBench.notifyWarmup)) toggles in "
                    + "\(Format.readable(measuredSeconds)) s under \(writers) writers appending "
                    + "\(Format.readable(Double(appended.commands) / appended.seconds)) commands/s; "
                    + "\(follower.polls) long polls answered, \(receiver.requests) webhook POSTs")
            if !appended.failures.isEmpty {
                Log.line("warning: background writers failed: \(appended.failures.prefix(3).joined(separator: "; "))")
            }
            if !missed.isEmpty {
                Log.line("warning: not seen within 5 s: \(missed.count) (\(missed.prefix(5).joined(separator: ", ")))")
            }
            guard !longPoll.values.isEmpty, !webhook.values.isEmpty else {
                throw BenchError("feed: no notify_latency sample (\(missed.prefix(5).joined(separator: ", ")))")
            }
            for (name, samples) in [("notify_latency_long_poll", longPoll), ("notify_latency_webhook", webhook)] {
                report.add(
                    Measurement(
                        name: name, unit: "ms", samples: samples, baseline: FeedBench.listenBaseline,
                        baselineSamples: listen, higherIsBetter: false))
                Log.line(
                    "\(name): p50 \(Format.readable(samples.median)) ms, "
                        + "p99 \(Format.readable(samples.percentile(0.99))) ms, "
                        + "max \(Format.readable(samples.values.max() ?? 0)) ms; \(FeedBench.listenBaseline) p50 "
                        + "\(Format.readable(listen.median)) ms, p99 \(Format.readable(listen.percentile(0.99))) ms")
            }
        } catch {
            Log.line("the service's log ends:\n\(server.logTail())")
            throw error
        }
    }
}
