import AccessModel
import Foundation
import LedgerStore
import PostgresClient
import Synchronization

/// Writers that append continuously on their own threads until ``stop()`` (or a deadline): the
/// background load of `notify_latency`. Writer `w` cycles through its own workspaces with its
/// own user: share `:use`, share `:admin` (a role change), restart: three commands of one event
/// each, none of them `workspace_unshared`, so the webhook under test gets only the measured
/// events while the log, the feed and the delivery loop move under a steady stream of appends.
final class BackgroundWriters: Sendable {
    private struct State {
        var commands = 0
        var failures: [String] = []
        var running = 0
    }
    private let state = Mutex(State())
    private let stopping = Atomic<Bool>(false)
    let started = MonotonicClock.now()

    /// Starts `users.count` writers on `database` (each with a connection of its own).
    init(cluster: BenchCluster, database: String, users: [String], workspaces: [[String]], maxSeconds: Double) {
        for (index, user) in users.enumerated() {
            let mine = workspaces[index]
            state.withLock { $0.running += 1 }
            let thread = Thread { [self] in
                self.write(cluster: cluster, database: database, user: user, workspaces: mine, maxSeconds: maxSeconds)
            }
            thread.name = "bench-feed-writer-\(index)"
            thread.start()
        }
    }

    /// Commands appended so far.
    var commands: Int { state.withLock { $0.commands } }

    /// Stops the writers and waits for them (each finishes the command in hand). Returns the
    /// commands they appended, the seconds they ran and their failures.
    func stop() -> (commands: Int, seconds: Double, failures: [String]) {
        stopping.store(true, ordering: .relaxed)
        while state.withLock({ $0.running }) > 0 { usleep(2_000) }
        let seconds = MonotonicClock.now() - started
        return state.withLock { ($0.commands, seconds, $0.failures) }
    }

    private func write(cluster: BenchCluster, database: String, user: String, workspaces: [String], maxSeconds: Double)
    {
        defer { state.withLock { $0.running -= 1 } }
        do {
            let ledger = Ledger(connection: try cluster.application(database))
            defer { ledger.connection.close() }
            var step = 0
            while !stopping.load(ordering: .relaxed) && MonotonicClock.now() - started < maxSeconds {
                let workspace = workspaces[(step / 3) % workspaces.count]
                let command: Command
                switch step % 3 {
                case 0: command = .share(workspace: workspace, users: ["\(user):use"], groups: [])
                case 1: command = .share(workspace: workspace, users: ["\(user):admin"], groups: [])
                default: command = .restartWorkspace(workspace: workspace)
                }
                _ = try ledger.execute(command, actor: ServiceBench.owner)
                step += 1
                state.withLock { $0.commands += 1 }
            }
        } catch {
            state.withLock { $0.failures.append("\(user): \(error)") }
        }
    }
}

/// The floor of every notification path: a libpq connection of its own that LISTENs on the
/// ledger's channel (as `serve`'s feed thread and `audit follow` do) and notes when each
/// position's NOTIFY (sent at COMMIT, payload: the new head) arrived.
final class NotifyListener: Sendable {
    private struct State {
        var arrivals: [Int64: Double] = [:]
        var failure: String?
        var running = true
    }
    private let state = Mutex(State())
    private let stopping = Atomic<Bool>(false)
    private let ready = DispatchSemaphore(value: 0)

    init(conninfo: String) throws {
        let thread = Thread { [self] in self.listen(conninfo) }
        thread.name = "bench-feed-listen"
        thread.start()
        guard ready.wait(timeout: .now() + 30) == .success else { throw BenchError("LISTEN did not start in 30 s") }
        if let failure = state.withLock({ $0.failure }) { throw BenchError("LISTEN: \(failure)") }
    }

    func arrival(of position: Int64) -> Double? { state.withLock { $0.arrivals[position] } }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        while state.withLock({ $0.running }) { usleep(2_000) }
    }

    private func listen(_ conninfo: String) {
        defer { state.withLock { $0.running = false } }
        do {
            let connection = try Connection(conninfo, applicationName: "accessledger-bench-listen")
            defer { connection.close() }
            try connection.listen(EventFeedChannel.name)
            ready.signal()
            while !stopping.load(ordering: .relaxed) {
                let received = try connection.notifications(timeoutMilliseconds: 100)
                guard !received.isEmpty else { continue }
                let now = MonotonicClock.now()
                state.withLock { state in
                    for notification in received {
                        if let position = Int64(notification.payload), state.arrivals[position] == nil {
                            state.arrivals[position] = now
                        }
                    }
                }
            }
        } catch {
            state.withLock { $0.failure = "\(error)" }
            ready.signal()
        }
    }
}

/// A follower of the service's long poll: `GET /api/v1/events?after=CURSOR&limit=1000&wait=30`
/// in a loop, from the head it starts at, resuming after the last event of each answer (as SPEC
/// §8 tells a reader to); notes when each answer arrived and which positions it carried.
final class LongPollFollower: Sendable {
    private struct State {
        /// Answers with events: the positions they carried and when they arrived.
        var answers: [(first: Int64, last: Int64, at: Double)] = []
        var polls = 0
        var failure: String?
    }
    private let state = Mutex(State())
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(load: HTTPLoad, after start: Int64) {
        let follower = Task { [self] in
            var cursor = start
            while !Task.isCancelled {
                do {
                    let answer = try await load.send(
                        .init(method: .get, path: "/api/v1/events?after=\(cursor)&limit=1000&wait=30"))
                    let now = MonotonicClock.now()
                    guard answer.status == 200 else {
                        throw BenchError("GET /api/v1/events answered \(answer.status): \(answer.body.prefix(300))")
                    }
                    let last = try LongPollFollower.lastPosition(answer.body)
                    let from = cursor
                    state.withLock { state in
                        state.polls += 1
                        if let last { state.answers.append((from + 1, last, now)) }
                    }
                    if let last { cursor = last }
                } catch {
                    if !Task.isCancelled { state.withLock { $0.failure = "\(error)" } }
                    return
                }
            }
        }
        task.withLock { $0 = follower }
    }

    /// When the answer carrying `position` arrived, if one has.
    func arrival(of position: Int64) -> Double? {
        state.withLock { state in
            state.answers.last { $0.first <= position && position <= $0.last }?.at
        }
    }

    var failure: String? { state.withLock { $0.failure } }
    var polls: Int { state.withLock { $0.polls } }

    /// Cancels the poll in flight and waits for the loop to end.
    func stop() {
        guard let follower = task.withLock({ $0 }) else { return }
        follower.cancel()
        _ = try? runBlocking { await follower.value }
    }

    /// The position of the last event of an answer (`{"events": [...], "head": N}`), nil when empty.
    static func lastPosition(_ body: String) throws -> Int64? {
        guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let events = object["events"] as? [[String: Any]]
        else { throw BenchError("not an events page: \(body.prefix(200))") }
        guard let last = events.last else { return nil }
        guard let position = (last["position"] as? NSNumber)?.int64Value else {
            throw BenchError("an event without a position: \(body.prefix(200))")
        }
        return position
    }
}
