import AccessModel
import AsyncHTTPClient
import Foundation
import NIOHTTP1
import TestSupport
import Testing

/// Following the ledger (SPEC §8) against the built binary: `accessledger serve` as a child
/// process over a real PostgreSQL, loopback webhook receivers, the long poll, server-sent events,
/// the restart queue over HTTP, and bad input. Serialized: several tests measure latencies.
@Suite(.serialized) struct FeedProcessTests {
    typealias Delivery = WebhookReceiver.Delivery

    /// Creates users `names` through the CLI, one process each; returns the head afterwards.
    static func createUsers(_ cli: ServerProcess.CLIRunner, _ names: [String]) throws {
        for name in names { try cli.ok(["users", "create", "--username", name]) }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    // MARK: 1. Retries, order, filters

    /// A receiver that fails its first 3 deliveries: every event arrives in log order, the
    /// failed one is retried with backoff (1 s, 2 s, 4 s) and nothing after it is sent first;
    /// signatures are valid; `webhooks list` ends at lag 0 with the cursor at the last position
    /// and the error cleared. A `--types` webhook gets only its types, and its cursor moves past
    /// the others.
    @Test func failingReceiverGetsEveryEventInOrderAfterRetries() async throws {
        let ledger = try ServerProcess.Ledger.create()
        defer { ledger.drop() }
        let receiver = try await WebhookReceiver.start(["all": .init(failFirst: 3), "users": .init()])
        defer { receiver.stop() }
        let cli = ledger.cli
        let allSecret = try cli.addWebhook("all", url: receiver.url("all"))
        let allAdded = try cli.eventCount()
        let usersSecret = try cli.addWebhook("users", url: receiver.url("users"), types: ["user_created"])
        let usersAdded = try cli.eventCount()
        #expect(allSecret != usersSecret)

        let server = try ServerProcess.start(conninfo: ledger.conninfo)
        defer { server.forceStop() }

        // Appended while the service runs: users, a group in between, and a group last.
        var latencies: [Double] = []
        for name in ["u1", "u2"] {
            let launched = ContinuousClock.now
            try cli.ok(["users", "create", "--username", name])
            let head = try cli.eventCount()
            let arrived = await FeedChecks.eventually(timeout: .seconds(5)) {
                receiver.deliveries("users").contains { $0.position == head }
            }
            #expect(arrived, "users webhook did not get position \(head) within 5 s")
            if let delivery = receiver.deliveries("users").first(where: { $0.position == head }) {
                // The commit happens while the CLI runs: arrival minus its launch bounds the
                // delay from above.
                latencies.append(FeedProcessTests.seconds(delivery.at - launched))
            }
        }
        // While the first event keeps failing, the list shows the error.
        let failing = try await FeedChecks.eventually(timeout: .seconds(5)) {
            try cli.webhookStatus("all")?["last_error"]?.stringValue?.contains("500") == true
        }
        #expect(failing, "last_error never showed the HTTP 500: \(String(describing: try? cli.webhookStatus("all")))")
        try cli.ok(["groups", "create", "g1"])
        try cli.ok(["users", "create", "--username", "u3"])
        try cli.ok(["groups", "create", "g2"])
        let head = try cli.eventCount()

        let caughtUp = try await FeedChecks.eventually(timeout: .seconds(30)) {
            try cli.webhookStatus("all")?["lag"]?.intValue == 0 && cli.webhookStatus("users")?["lag"]?.intValue == 0
                && cli.webhookStatus("all")?["cursor"]?.intValue == head
                && cli.webhookStatus("users")?["cursor"]?.intValue == head
        }
        #expect(caughtUp, "not caught up: \((try? cli.ok(["webhooks", "list", "-o", "json"])) ?? "")")

        // Every event after the webhook's own, in order; repeats only of the failed attempts.
        let all = receiver.deliveries("all")
        let expectedAll = try cli.positions(after: allAdded)
        let events = FeedChecks.expectDeliveries(all, webhook: "all", secret: allSecret, expected: expectedAll)
        #expect(all.prefix(3).map(\.status) == [500, 500, 500], "\(all)")
        #expect(Set(all.prefix(4).map(\.position)) == [allAdded + 1], "the failed event is retried first: \(all)")
        #expect(all.count == expectedAll.count + 3, "\(all)")
        // Backoff: 1 s, 2 s, 4 s between the attempts (a little slack below).
        if all.count >= 4 {
            let gaps = (1..<4).map { FeedProcessTests.seconds(all[$0].at - all[$0 - 1].at) }
            #expect(gaps[0] >= 0.9 && gaps[0] < 4, "gaps \(gaps)")
            #expect(gaps[1] >= 1.9 && gaps[1] < 7, "gaps \(gaps)")
            #expect(gaps[2] >= 3.9 && gaps[2] < 11, "gaps \(gaps)")
        }
        // The body's event is the audit log entry.
        let log = try cli.auditLog()
        for entry in log {
            guard let position = entry["position"]?.intValue, position > allAdded else { continue }
            #expect(events[position] == entry, "event \(position) differs from audit log")
        }

        // The filtered webhook: user_created only, nothing else, but its cursor is at the head.
        let users = receiver.deliveries("users")
        let expectedUsers = try cli.positions(after: usersAdded, types: ["user_created"])
        #expect(expectedUsers.count == 3)
        FeedChecks.expectDeliveries(users, webhook: "users", secret: usersSecret, expected: expectedUsers)
        #expect(users.allSatisfy { $0.status == 200 } && users.count == 3, "\(users)")

        for name in ["all", "users"] {
            let status = try #require(try cli.webhookStatus(name))
            #expect(status["lag"]?.intValue == 0, "\(status)")
            #expect(status["cursor"]?.intValue == head, "\(status)")
            #expect(status["last_error"] == .null, "\(status)")
            #expect(status["delivered_at"] != .null, "\(status)")
            #expect(status.objectValue?["secret"] == nil)
        }
        #expect(try cli.webhookStatus("users")?["types"] == .array(["user_created"]))
        print(
            "webhook delivery after commit, upper bound (from the CLI's launch): \(latencies.map { String(format: "%.3f s", $0) })"
        )
    }

    // MARK: 2. kill -9

    /// The service killed with SIGKILL while a slow receiver has events queued, then started
    /// again: delivery resumes from the stored cursor; nothing skipped, and at most the event in
    /// flight is sent twice.
    @Test func deliveryResumesAfterKillNine() async throws {
        let ledger = try ServerProcess.Ledger.create()
        defer { ledger.drop() }
        let receiver = try await WebhookReceiver.start(["slow": .init(delay: .milliseconds(500))])
        defer { receiver.stop() }
        let cli = ledger.cli
        let secret = try cli.addWebhook("slow", url: receiver.url("slow"))
        let added = try cli.eventCount()
        try FeedProcessTests.createUsers(cli, (1...8).map { "k\($0)" })
        let head = try cli.eventCount()

        let first = try ServerProcess.start(conninfo: ledger.conninfo)
        defer { first.forceStop() }
        let started = await FeedChecks.eventually(timeout: .seconds(15)) { receiver.deliveries("slow").count >= 3 }
        #expect(started, "\(receiver.deliveries("slow")) \(first.isRunning) \(first.stderr.suffix(3000))")
        // Kill while a request is in flight (just after one arrived).
        let before = receiver.deliveries("slow").count
        _ = await FeedChecks.eventually(timeout: .seconds(2)) { receiver.deliveries("slow").count > before }
        first.send(SIGKILL)
        let exit = await first.waitForExit(timeout: .seconds(5))
        #expect(exit?.signaled == true, "\(String(describing: exit))")
        let cursorAtKill = try #require(try cli.webhookStatus("slow")?["cursor"]?.intValue)
        let deliveredAtKill = receiver.deliveries("slow").count
        #expect(cursorAtKill < head, "everything was delivered before the kill")

        let second = try ServerProcess.start(conninfo: ledger.conninfo)
        defer { second.forceStop() }
        let done = try await FeedChecks.eventually(timeout: .seconds(20)) {
            try cli.webhookStatus("slow")?["cursor"]?.intValue == head
        }
        #expect(done, "\(String(describing: try? cli.webhookStatus("slow")))")
        let deliveries = receiver.deliveries("slow")
        FeedChecks.expectDeliveries(
            deliveries, webhook: "slow", secret: secret, expected: Array((added + 1)...head),
            allowedRepeatsAfterSuccess: 1)
        // The first delivery after the restart is the one after the stored cursor.
        let resumed = deliveries.dropFirst(deliveredAtKill).first
        #expect(
            resumed?.position == cursorAtKill + 1, "cursor \(cursorAtKill), resumed at \(String(describing: resumed))")
        #expect(try cli.webhookStatus("slow")?["lag"]?.intValue == 0)
        print(
            "kill -9: \(deliveredAtKill) requests before the kill (cursor \(cursorAtKill) of \(head)), \(deliveries.count) in all"
        )
    }

    // MARK: 3. PostgreSQL restarted

    /// PostgreSQL (a private cluster) stopped and started again while events are being
    /// delivered: delivery goes on, events appended after the restart arrive too, nothing is
    /// skipped.
    @Test func deliveryGoesOnAfterDatabaseRestart() async throws {
        let cluster = try ServerProcess.PrivateCluster.start()
        defer { cluster.remove() }
        let migrated = try runCLI(["db", "migrate"], environment: ["ACCESSLEDGER_DATABASE_URL": cluster.conninfo])
        #expect(migrated.status == 0, "\(migrated.stderr)")
        let ledger = try ServerProcess.Ledger.bootstrap(conninfo: cluster.conninfo)
        let receiver = try await WebhookReceiver.start(["hook": .init(delay: .milliseconds(300))])
        defer { receiver.stop() }
        let cli = ledger.cli
        let secret = try cli.addWebhook("hook", url: receiver.url("hook"))
        let added = try cli.eventCount()
        try FeedProcessTests.createUsers(cli, (1...6).map { "p\($0)" })

        let server = try ServerProcess.start(conninfo: cluster.conninfo)
        defer { server.forceStop() }
        let started = await FeedChecks.eventually(timeout: .seconds(15)) { receiver.deliveries("hook").count >= 2 }
        #expect(started)
        try cluster.pg("stop")
        let stoppedAt = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(1500))
        try cluster.pg("start")
        let restartedAt = ContinuousClock.now
        let downFor = FeedProcessTests.seconds(restartedAt - stoppedAt)
        let beforeRestart = try cli.eventCount()
        try FeedProcessTests.createUsers(cli, ["q1", "q2", "q3"])
        let head = try cli.eventCount()

        let done = try await FeedChecks.eventually(timeout: .seconds(40)) {
            try cli.webhookStatus("hook")?["cursor"]?.intValue == head
        }
        #expect(done, "\(String(describing: try? cli.webhookStatus("hook")))\n\(server.stderr.suffix(2000))")
        #expect(server.isRunning)
        let deliveries = receiver.deliveries("hook")
        // At least once: repeats are allowed here (see the known issue below); skips are not.
        FeedChecks.expectDeliveries(
            deliveries, webhook: "hook", secret: secret, expected: Array((added + 1)...head),
            allowedRepeatsAfterSuccess: .max)
        let status = try #require(try cli.webhookStatus("hook"))
        #expect(status["lag"]?.intValue == 0 && status["last_error"] == .null, "\(status)")
        let repeated = FeedChecks.positionsRepeatedAfterSuccess(deliveries)
        let firstAfterRestart = deliveries.first { ($0.position ?? 0) > beforeRestart }
        let resumedAfter = firstAfterRestart.map { FeedProcessTests.seconds($0.at - restartedAt) } ?? -1
        let timeline = deliveries.map {
            "\($0.position ?? -1)@\(String(format: "%+.1f", FeedProcessTests.seconds($0.at - restartedAt)))"
        }
        print(
            "database restart: down \(String(format: "%.1f", downFor)) s; \(deliveries.count) requests for "
                + "\(head - added) events; first event appended after the restart delivered "
                + "\(String(format: "%.1f", resumedAfter)) s after it; positions POSTed again after a 2xx: \(repeated); "
                + "timeline (s from restart): \(timeline)")
        // Only the event in flight when the database went away is sent again: a reader
        // connection that died with the database is replaced and the job tried once more, so
        // no cursor update of an event answered 2xx after the restart fails.
        #expect(repeated.count <= 1, "positions POSTed again after a 2xx: \(repeated)")
    }

    // MARK: 4. Independence

    /// A receiver that never answers and one that takes 1 s hold up no other webhook: the
    /// healthy one gets each new event within 2 s of its commit. The silent one is given up on
    /// after 10 s and tried again.
    @Test func stuckReceiversDoNotDelayOthers() async throws {
        let ledger = try ServerProcess.Ledger.create()
        defer { ledger.drop() }
        let receiver = try await WebhookReceiver.start([
            "silent": .init(hang: true), "slow": .init(delay: .seconds(1)), "healthy": .init(),
        ])
        defer { receiver.stop() }
        let cli = ledger.cli
        var secrets: [String: String] = [:]
        for name in ["silent", "slow", "healthy"] { secrets[name] = try cli.addWebhook(name, url: receiver.url(name)) }
        let added = try cli.eventCount()
        let server = try ServerProcess.start(conninfo: ledger.conninfo)
        defer { server.forceStop() }

        var latencies: [Double] = []
        for index in 1...4 {
            let launched = ContinuousClock.now
            try cli.ok(["users", "create", "--username", "h\(index)"])
            let head = try cli.eventCount()
            let arrived = await FeedChecks.eventually(timeout: .seconds(5)) {
                receiver.deliveries("healthy").contains { $0.position == head }
            }
            #expect(arrived)
            if let delivery = receiver.deliveries("healthy").first(where: { $0.position == head }) {
                // At most this long after the commit (which happens while the CLI runs).
                let latency = FeedProcessTests.seconds(delivery.at - launched)
                latencies.append(latency)
                #expect(latency < 4, "healthy webhook got \(head) \(latency) s after the CLI's launch")
            }
        }
        let head = try cli.eventCount()
        FeedChecks.expectDeliveries(
            receiver.deliveries("healthy"), webhook: "healthy", secret: secrets["healthy"]!,
            expected: Array((added + 1)...head))
        // The silent receiver has had only the first event so far, once.
        let silent = receiver.deliveries("silent")
        #expect(silent.count == 1 && silent.first?.position == added - 1, "\(silent)")

        // After 10 s without an answer the attempt fails, and it is tried again 1 s later.
        let retried = await FeedChecks.eventually(timeout: .seconds(16)) { receiver.deliveries("silent").count >= 2 }
        #expect(retried)
        let attempts = receiver.deliveries("silent")
        if attempts.count >= 2 {
            let gap = FeedProcessTests.seconds(attempts[1].at - attempts[0].at)
            #expect(gap >= 10.5 && gap < 18, "retry after \(gap) s")
            #expect(attempts[1].position == attempts[0].position)
        }
        let status = try #require(try cli.webhookStatus("silent"))
        #expect(status["last_error"]?.stringValue?.isEmpty == false, "\(status)")
        #expect(status["lag"]?.intValue ?? 0 > 0, "\(status)")
        // The slow one keeps up, in order.
        let slowDone = try await FeedChecks.eventually(timeout: .seconds(10)) {
            try cli.webhookStatus("slow")?["lag"]?.intValue == 0
        }
        #expect(slowDone)
        FeedChecks.expectDeliveries(
            receiver.deliveries("slow"), webhook: "slow", secret: secrets["slow"]!,
            expected: Array(added...head))
        print(
            "healthy webhook next to stuck ones, delivery after commit, upper bound: \(latencies.map { String(format: "%.3f s", $0) })"
        )
    }

    // MARK: 5. Server-sent events

    /// `/api/v1/events/stream?after=0`: K events, disconnect, reconnect with `Last-Event-ID`:
    /// each event exactly once, in order, across both connections, including events appended
    /// while connected; `id`, `event` and `data` lines as SPEC §8 says, data the audit entry.
    @Test func eventStreamResumesWithLastEventID() async throws {
        let ledger = try ServerProcess.Ledger.create()
        defer { ledger.drop() }
        let cli = ledger.cli
        try FeedProcessTests.createUsers(cli, ["s1", "s2", "s3", "s4"])
        let server = try ServerProcess.start(conninfo: ledger.conninfo)
        defer { server.forceStop() }
        let start = try cli.eventCount()
        let k = 3

        try await ServerProcess.withClient { client in
            let firstRead = try await EventStreamClient.read(
                client, baseURL: server.baseURL, path: "/api/v1/events/stream?after=0", token: ledger.adminToken,
                count: k)
            #expect(firstRead.status == 200)
            #expect(
                firstRead.contentType?.hasPrefix("text/event-stream") == true,
                "\(String(describing: firstRead.contentType))")
            let lastID = try #require(firstRead.events.last?.id)

            // Reconnect (the query's after=0 is overridden by the header); new events arrive live.
            let appended = 2
            let reading = Task {
                try await EventStreamClient.read(
                    client, baseURL: server.baseURL, path: "/api/v1/events/stream?after=0",
                    token: ledger.adminToken, lastEventID: lastID, count: Int(start) - k + appended)
            }
            try await Task.sleep(for: .milliseconds(300))
            try FeedProcessTests.createUsers(cli, ["live1", "live2"])
            let secondRead = try await reading.value
            #expect(secondRead.status == 200)

            let streamed = firstRead.events + secondRead.events
            let head = try cli.eventCount()
            #expect(streamed.compactMap(\.id) == (1...head).map { String($0) }, "\(streamed.map(\.lines))")
            let log = try cli.auditLog()
            for (event, entry) in zip(streamed, log) {
                #expect(event.lines.count == 3, "\(event.lines)")
                #expect(event.lines.first == "id: \(entry["position"]?.intValue ?? -1)", "\(event.lines)")
                #expect(event.lines.dropFirst().first == "event: \(entry["type"]?.stringValue ?? "")", "\(event.lines)")
                #expect(event.lines.last?.hasPrefix("data: {") == true, "\(event.lines)")
                #expect(try event.data.map { try JSONValue.parse($0) } == entry, "\(event.lines)")
            }

            // A bad resume point is refused.
            let api = server.api(client, token: ledger.adminToken)
            let bad = try await api.send(.GET, "/api/v1/events/stream", headers: [("Last-Event-ID", "abc")])
            #expect(bad.expectError(400, "invalid_input").contains("abc"))
        }
    }

    // MARK: 6. Long poll

    /// `GET /api/v1/events?after=HEAD&wait=10` answers soon after another process appends, with
    /// the new event; `wait=1` with nothing new answers an empty page after about 1 s.
    @Test func longPollWakesOnAppend() async throws {
        let ledger = try ServerProcess.Ledger.create()
        defer { ledger.drop() }
        let cli = ledger.cli
        let server = try ServerProcess.start(conninfo: ledger.conninfo)
        defer { server.forceStop() }

        try await ServerProcess.withClient { client in
            let api = server.api(client, token: ledger.adminToken)
            let head = try cli.eventCount()

            // Paging without waiting.
            let page = try await api.get("/api/v1/events?after=0&limit=1")
            #expect(page.status == 200)
            let pageJSON = try page.json()
            #expect(pageJSON.objectValue?.keys.sorted() == ["events", "head"])
            #expect(pageJSON["events"]?.arrayValue?.compactMap { $0["position"]?.intValue } == [1])
            #expect(pageJSON["head"]?.intValue == head)

            var wakeUps: [Double] = []
            for round in 1...3 {
                let current = try cli.eventCount()
                let asked = ContinuousClock.now
                let polling = Task { try await api.get("/api/v1/events?after=\(current)&wait=10") }
                try await Task.sleep(for: .milliseconds(300))
                let launched = ContinuousClock.now
                try cli.ok(["users", "create", "--username", "lp\(round)"])
                let exited = ContinuousClock.now
                let answer = try await polling.value
                let answered = ContinuousClock.now
                let json = try answer.json()
                #expect(answer.status == 200, "\(answer)")
                #expect(
                    json["events"]?.arrayValue?.compactMap { $0["position"]?.intValue } == [current + 1], "\(answer)")
                #expect(json["events"]?.arrayValue?.first?["type"]?.stringValue == "user_created")
                #expect(json["head"]?.intValue == current + 1)
                // The commit is between the CLI's launch and its exit.
                let wake = FeedProcessTests.seconds(answered - launched)
                wakeUps.append(wake)
                #expect(wake < 3, "long poll answered \(wake) s after the appending CLI was launched")
                #expect(answered - exited < .seconds(2))
                #expect(FeedProcessTests.seconds(answered - asked) < 5)
            }

            // Nothing new: an empty page after about `wait`.
            let now = try cli.eventCount()
            let asked = ContinuousClock.now
            let idle = try await api.get("/api/v1/events?after=\(now)&wait=1")
            let took = FeedProcessTests.seconds(ContinuousClock.now - asked)
            #expect(idle.status == 200)
            #expect(try idle.json() == ["events": [], "head": .int(now)], "\(idle)")
            #expect(took >= 0.9 && took < 4, "wait=1 answered after \(took) s")
            print(
                "long poll wake-up after commit, upper bound (from the CLI's launch): \(wakeUps.map { String(format: "%.3f s", $0) }); wait=1 idle: \(String(format: "%.3f s", took))"
            )
        }
    }

    // MARK: 8. The restart queue over HTTP

    /// `/api/v1/pending-revocations` answers what `pending -o json` prints, now and
    /// `?at_position=`, oldest first, and a restart takes a workspace out of it.
    @Test func pendingRevocationsOverHTTPMatchTheCLI() async throws {
        let ledger = try ServerProcess.Ledger.create()
        defer { ledger.drop() }
        let cli = ledger.cli
        try FeedProcessTests.createUsers(cli, ["oncall-sre", "bob", "carol"])
        for name in ["ws-a", "ws-b"] {
            try cli.ok(["create", "oncall-sre/\(name)", "--template", "oncall", "--as", "oncall-sre"])
        }
        try cli.ok(["sharing", "share", "oncall-sre/ws-a", "--user", "bob"])
        try cli.ok(["sharing", "share", "oncall-sre/ws-b", "--user", "carol:admin"])
        // Later removals on ws-b first: the queue is ordered by the oldest pending user.
        try cli.ok(["sharing", "remove", "oncall-sre/ws-b", "--user", "carol"])
        let carolSince = try cli.eventCount()
        try cli.ok(["sharing", "remove", "oncall-sre/ws-a", "--user", "bob"])
        let bobSince = try cli.eventCount()

        let server = try ServerProcess.start(conninfo: ledger.conninfo)
        defer { server.forceStop() }
        try await ServerProcess.withClient { client in
            let api = server.api(client, token: ledger.adminToken)
            func same(_ query: String, _ cliArguments: [String]) async throws -> JSONValue {
                let answer = try await api.get("/api/v1/pending-revocations" + query)
                #expect(answer.status == 200, "\(answer)")
                let printed = try JSONValue.parse(try cli.ok(["pending", "-o", "json"] + cliArguments))
                #expect(try answer.json() == printed, "HTTP \(answer.body)\nCLI \(printed)")
                return printed
            }
            let queue = try await same("", [])
            #expect(
                queue.arrayValue?.compactMap { $0["workspace"]?.stringValue } == ["oncall-sre/ws-b", "oncall-sre/ws-a"])
            let first = queue.arrayValue?.first
            #expect(first?["users"]?.arrayValue?.first?["username"] == "carol")
            #expect(first?["users"]?.arrayValue?.first?["live_role"] == "admin")
            #expect(first?["users"]?.arrayValue?.first?["since"]?["position"]?.intValue == carolSince)
            #expect(first?["oldest"]?["position"]?.intValue == carolSince)
            #expect(queue.arrayValue?.last?["oldest"]?["position"]?.intValue == bobSince)

            try cli.ok(["restart", "oncall-sre/ws-b"])
            let after = try await same("", [])
            #expect(after.arrayValue?.compactMap { $0["workspace"]?.stringValue } == ["oncall-sre/ws-a"])
            let before = try await same("?at_position=\(bobSince)", ["--at-position", String(bobSince)])
            #expect(before.arrayValue?.count == 2)
            let earlier = try await same("?at_position=\(carolSince - 1)", ["--at-position", String(carolSince - 1)])
            #expect(earlier == [])
            try await api.get("/api/v1/pending-revocations?at_position=x").expectError(400, "invalid_input")
            try await api.get("/api/v1/pending-revocations?bogus=1").expectError(400, "invalid_input")
        }
    }

    // MARK: 9. Bad input and permissions

    /// Bad feed parameters are 400 `invalid_input` naming the value; bad webhooks are refused
    /// (400, or 403 for a duplicate name); a member may read none of the feed. Nothing appended.
    @Test func badInputIsRefusedAndAppendsNothing() async throws {
        let ledger = try ServerProcess.Ledger.create()
        defer { ledger.drop() }
        let cli = ledger.cli
        try cli.ok(["users", "create", "--username", "mem"])
        let memberToken = try cli.token(user: "mem", name: "mem-token")
        let server = try ServerProcess.start(conninfo: ledger.conninfo)
        defer { server.forceStop() }

        try await ServerProcess.withClient { client in
            let api = server.api(client, token: ledger.adminToken)
            let created = try await api.post(
                "/api/v1/webhooks", #"{"name": "first", "url": "http://127.0.0.1:9/x", "types": ["user_created"]}"#)
            #expect(created.status == 201, "\(created)")
            let createdJSON = try created.json()
            #expect(createdJSON["secret"]?.stringValue?.hasPrefix("whsec_") == true)
            #expect(createdJSON["webhook"]?["name"] == "first")
            #expect(createdJSON["events"]?.arrayValue?.first?["type"] == "webhook_added")
            let head = try cli.eventCount()

            for (query, value) in [
                ("after=-1", "-1"), ("after=x", "x"), ("limit=0", "0"), ("limit=10000", "10000"),
                ("wait=3600", "3600"), ("wait=-1", "-1"), ("limit=1.5", "1.5"),
            ] {
                let message = try await api.get("/api/v1/events?\(query)").expectError(400, "invalid_input")
                #expect(message.contains(value), "\(query): \(message)")
            }
            let unknown = try await api.get("/api/v1/events?bogus=1").expectError(400, "invalid_input")
            #expect(unknown.contains("bogus"), "\(unknown)")
            let streamMessage = try await api.get("/api/v1/events/stream?after=-5").expectError(400, "invalid_input")
            #expect(streamMessage.contains("-5"), "\(streamMessage)")

            let ftp = try await api.post("/api/v1/webhooks", #"{"name": "x", "url": "ftp://h"}"#)
            #expect(ftp.expectError(400, "invalid_input").contains("ftp://h"))
            let notURL = try await api.post("/api/v1/webhooks", #"{"name": "x", "url": "notaurl"}"#)
            #expect(notURL.expectError(400, "invalid_input").contains("notaurl"))
            let badType = try await api.post(
                "/api/v1/webhooks", #"{"name": "x", "url": "http://127.0.0.1:9/", "types": ["bogus_type"]}"#)
            #expect(badType.expectError(400, "invalid_input").contains("bogus_type"))
            let duplicate = try await api.post("/api/v1/webhooks", #"{"name": "first", "url": "http://127.0.0.1:9/"}"#)
            #expect(duplicate.expectError(403, "not_permitted").contains("first"))
            let missing = try await api.send(.DELETE, "/api/v1/webhooks/nosuch")
            #expect(missing.expectError(404, "not_found").contains("nosuch"))

            let member = api.with(token: memberToken)
            for path in [
                "/api/v1/events", "/api/v1/events?wait=1", "/api/v1/events/stream", "/api/v1/pending-revocations",
                "/api/v1/webhooks",
            ] {
                try await member.get(path).expectError(403, "not_permitted")
            }
            try await member.post("/api/v1/webhooks", #"{"name": "m", "url": "http://127.0.0.1:9/"}"#)
                .expectError(403, "not_permitted")
            try await member.send(.DELETE, "/api/v1/webhooks/first").expectError(403, "not_permitted")
            #expect(try cli.eventCount() == head, "a refused request appended")

            // The list, then removal over HTTP (an event), and the list is empty.
            let list = try await api.get("/api/v1/webhooks")
            #expect(list.status == 200)
            #expect(try list.json().arrayValue?.compactMap { $0["name"]?.stringValue } == ["first"])
            #expect(list.body.contains("whsec_") == false)
            let removed = try await api.send(.DELETE, "/api/v1/webhooks/first")
            #expect(removed.status == 200, "\(removed)")
            #expect(try removed.json()["events"]?.arrayValue?.first?["type"] == "webhook_removed")
            #expect(try await api.get("/api/v1/webhooks").json() == [])
            #expect(try cli.eventCount() == head + 1)
        }
    }
}
