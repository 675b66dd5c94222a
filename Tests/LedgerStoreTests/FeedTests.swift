import AccessModel
import LedgerStore
import PostgresClient
import TestSupport
import Testing

/// The store's side of following the ledger: the NOTIFY of each append, the restart queue as of
/// any point, and webhooks (their projection, replay, and the delivery table apart from the log).
@Suite("Following the ledger: store")
struct FeedTests {
    static let secret = "whsec_" + String(repeating: "b", count: 64)

    /// admin, svc (owner of svc/ws), alice and bob with use on svc/ws.
    func seeded() throws -> (TestDatabase, Ledger) {
        let db = try TestDatabase.create()
        let ledger = Ledger(connection: try db.connectAsApp())
        try ledger.execute(.createUser(username: "admin", serviceAccount: false, role: nil), actor: nil)
        for user in ["svc", "alice", "bob"] {
            try ledger.execute(.createUser(username: user, serviceAccount: user == "svc", role: nil), actor: "admin")
        }
        try ledger.execute(.createWorkspace(workspace: "svc/ws", template: "t"), actor: "svc")
        try ledger.execute(.createWorkspace(workspace: "svc/other", template: "t"), actor: "svc")
        try ledger.execute(.share(workspace: "svc/ws", users: ["alice:admin", "bob"], groups: []), actor: "admin")
        try ledger.execute(.share(workspace: "svc/other", users: ["bob"], groups: []), actor: "admin")
        return (db, ledger)
    }

    @Test func everyAppendNotifiesItsNewHeadAtCommit() throws {
        let (db, ledger) = try seeded()
        defer { db.drop() }
        let listener = try db.connect()
        defer { listener.close() }
        try listener.listen(EventFeedChannel.name)
        let outcome = try ledger.execute(.restartWorkspace(workspace: "svc/ws"), actor: "admin")
        let received = try listener.notifications(timeoutMilliseconds: 2_000)
        #expect(received.map(\.payload) == [String(outcome.events.last?.position ?? -1)])
        // A refused command appends nothing and notifies nothing.
        _ = try? ledger.execute(.restartWorkspace(workspace: "svc/nope"), actor: "admin")
        #expect(try listener.notifications(timeoutMilliseconds: 300).isEmpty)
    }

    @Test func theRestartQueueSaysSinceWhenOldestFirstAndAsOfAnyPoint() throws {
        let (db, ledger) = try seeded()
        defer { db.drop() }
        let firstRemoval = try ledger.execute(
            .unshare(workspace: "svc/other", users: ["bob"], groups: []), actor: "admin")
        let removal = try ledger.execute(.unshare(workspace: "svc/ws", users: ["alice"], groups: []), actor: "admin")
        // A change that keeps alice pending does not move her since.
        try ledger.execute(.share(workspace: "svc/ws", users: ["alice:use"], groups: []), actor: "admin")
        let (queue, _) = try ledger.pendingRevocations()
        #expect(queue.map(\.workspace) == ["svc/other", "svc/ws"], "oldest first")
        #expect(queue[0].users.map(\.username) == ["bob"])
        #expect(queue[0].oldest.position == firstRemoval.events[0].position)
        #expect(queue[1].users.map(\.username) == ["alice"])
        #expect(queue[1].users[0].liveRole == .admin)
        #expect(queue[1].users[0].since.position == removal.events[0].position)
        #expect(queue[1].users[0].since.time == removal.events[0].occurredAt)

        let restart = try ledger.execute(.restartWorkspace(workspace: "svc/ws"), actor: "admin")
        #expect(try ledger.pendingRevocations().0.map(\.workspace) == ["svc/other"])
        let before = try ledger.pendingRevocations(at: .position(restart.events[0].position - 1)).0
        #expect(before.map(\.workspace) == ["svc/other", "svc/ws"])
        #expect(before[1].users[0].since.position == removal.events[0].position)
        // A stop ends what is pending too.
        try ledger.execute(.stopWorkspace(workspace: "svc/other"), actor: "admin")
        #expect(try ledger.pendingRevocations().0.isEmpty)
    }

    @Test func webhooksAreAProjectionReplayRebuildsAndTheirSecretStaysApart() throws {
        let (db, ledger) = try seeded()
        defer { db.drop() }
        let added = try ledger.execute(
            .addWebhook(
                name: "siem", url: "http://127.0.0.1:9/hook", types: ["workspace_shared"], secret: FeedTests.secret),
            actor: "admin")
        try ledger.execute(
            .addWebhook(name: "cache", url: "http://127.0.0.1:9/c", types: [], secret: FeedTests.secret), actor: "admin"
        )
        try ledger.execute(.removeWebhook(name: "cache"), actor: "admin")
        let owner = try db.connect()
        defer { owner.close() }
        #expect(
            try owner.query("SELECT count(*) FROM ledger_events WHERE data::text LIKE '%whsec_%'").first?.int64(0) == 0)
        let targets = try ledger.webhookTargets()
        #expect(targets.map(\.webhook.name) == ["siem"])
        #expect(targets.first?.secret == FeedTests.secret)
        #expect(targets.first?.cursor == added.events[0].position)

        try ledger.execute(.share(workspace: "svc/ws", users: ["alice:use"], groups: []), actor: "admin")
        try ledger.execute(.restartWorkspace(workspace: "svc/ws"), actor: "admin")
        var statuses = try ledger.webhookStatuses()
        #expect(statuses.map(\.lag) == [1], "one matching event after the cursor")
        try ledger.advanceWebhook(key: "siem", addedPosition: added.events[0].position, to: 1_000, delivered: true)
        statuses = try ledger.webhookStatuses()
        #expect(statuses.first?.cursor == 1_000 && statuses.first?.lag == 0 && statuses.first?.deliveredAt != nil)
        try ledger.recordWebhookFailure(key: "siem", addedPosition: added.events[0].position, error: "HTTP 500")
        #expect(try ledger.webhookStatuses().first?.lastError == "HTTP 500")
        // A cursor only moves forwards, and only for the same webhook.
        try ledger.advanceWebhook(key: "siem", addedPosition: added.events[0].position, to: 10, delivered: true)
        try ledger.advanceWebhook(key: "siem", addedPosition: 1, to: 2_000, delivered: true)
        #expect(try ledger.webhookStatuses().first?.cursor == 1_000)

        let report = try Replay(connect: db.connect).verify()
        #expect(report.differences.isEmpty, "\(report.differences.prefix(3))")
        try owner.query("DELETE FROM webhooks")
        #expect(try Replay(connect: db.connect).verify().differences.isEmpty == false)
        _ = try Replay(connect: db.connect).run()
        #expect(try Ledger(connection: owner).webhookStatuses().map(\.webhook.name) == ["siem"])
        // As of a point before the removal, both webhooks existed.
        let historical = try Ledger(connection: owner).snapshot(at: .position(added.events[0].position + 1)) {
            reader, _ in try reader.webhooks().map(\.name)
        }
        #expect(historical == ["cache", "siem"])
    }
}
