import AccessModel
import Dispatch
import Foundation
@testable import LedgerServer
import LedgerService
import LedgerStore
import PostgresClient
import Synchronization
import TestSupport
import Testing

/// The service's single writer, driven directly so that several mutations are sure to share one
/// transaction: each under a savepoint of its own (sent with the command's first statement and
/// released with the next one's), a refused one rolled back alone.
@Suite struct CommandWriterTests {
    @Test func aBatchCommitsItsAcceptedCommandsAndRollsBackEachRefusedOneAlone() async throws {
        let harness = try ServerHarness.make()
        defer {
            harness.server.shutdown()
            harness.db.drop()
        }
        let conninfo = harness.db.conninfo
        // Holds the writer at its first connection until the rest of the requests are queued.
        let gate = DispatchSemaphore(value: 0)
        let atGate = Atomic<Bool>(false)
        let metrics = ServiceMetrics()
        let writer = CommandWriter(metrics: metrics) {
            atGate.store(true, ordering: .releasing)
            gate.wait()
            gate.signal()
            return try LedgerDatabase.open(.explicit(conninfo))
        }
        defer { writer.shutdown() }
        let admin = TokenSecret.sha256Hex(harness.adminSecret)
        let unknownToken = String(repeating: "0", count: 64)

        var tasks: [Task<MutationAnswer, any Error>] = []
        func submit(_ username: String, secret: String) async throws {
            let request = MutationRequest(
                commands: [.createUser(username: username, serviceAccount: false, role: nil)], secretSHA256: secret,
                reason: "batch test", answer: JSONShapes.mutation, successStatus: 201)
            // An immediate task runs up to its first suspension before this returns, and `submit`
            // queues the request before it suspends: the queue's order is the order written here,
            // however busy the shared pool of threads is (tests run in parallel).
            tasks.append(Task.immediate { try await writer.submit(request) })
            let queued = tasks.count - 1
            // The first is taken by the writer's own thread, which then waits at the gate.
            func ready() -> Bool { queued == 0 ? atGate.load(ordering: .acquiring) : writer.queued == queued }
            let deadline = ContinuousClock.now + .seconds(120)
            while !ready() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(2)) }
            #expect(ready(), "request \(tasks.count) was not queued in time")
        }
        // The first is taken alone and waits at the gate; the next six queue behind it.
        try await submit("first", secret: admin)
        try await submit("u1", secret: admin)
        try await submit("u1", secret: admin)  // refused: the name is taken (by the one before, same batch)
        try await submit("u2", secret: unknownToken)  // refused: no such token
        try await submit("Not A Name", secret: admin)  // refused: not a valid name
        try await submit("u3", secret: admin)
        try await submit("u4", secret: admin)
        gate.signal()

        var outcomes: [String] = []
        for task in tasks {
            switch await task.result {
            case .success(let answer): outcomes.append("\(answer.status)")
            case .failure(let error):
                #expect(CommandWriter.isAnswer(error), "a refusal, not a failure of the transaction: \(error)")
                outcomes.append(error is ServiceError ? "unauthenticated" : "refused")
            }
        }
        #expect(outcomes == ["201", "201", "refused", "unauthenticated", "refused", "201", "201"])

        // Two transactions: the first request alone, then the six queued behind it.
        let exposition = metrics.render().split(separator: "\n")
        #expect(exposition.contains("accessledger_commits_total 2"))
        #expect(exposition.contains("accessledger_committed_commands_total 7"))

        let connection = try harness.db.connect()
        defer { connection.close() }
        let users = try connection.query("SELECT username FROM users ORDER BY username").rows.map { try $0.string(0) }
        #expect(users == ["admin", "first", "u1", "u3", "u4"])
        let positions = try connection.query("SELECT position FROM ledger_events ORDER BY position").rows.map {
            try $0.int64(0)
        }
        #expect(positions == Array(1...Int64(positions.count)))
        #expect(try EventStore(connection: connection).verify().ok)
        #expect(try Replay(connect: harness.db.connect).verify().ok)
        // Nothing of the batch's transaction outlived it on this database's other sessions (the
        // writer's among them); other tests' databases are not this test's business.
        let open = try connection.query(
            """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'
            """)
        #expect(open.first?[0] == "0")
    }
}
