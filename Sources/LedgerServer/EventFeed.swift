import Foundation
import LedgerStore
import PostgresClient
import Synchronization

/// The head of the log as the service knows it, moved by LISTEN/NOTIFY: every appending
/// transaction sends `NOTIFY accessledger_events, '<new head>'`, which PostgreSQL delivers at
/// COMMIT. A thread of its own holds the listening connection (opened again after the database
/// went away, reading the head once to catch up); long polls, event streams and webhook
/// deliveries wait here instead of polling the table.
final class EventFeed: Sendable {
    private struct Waiter {
        var after: Int64
        var continuation: CheckedContinuation<Void, Never>
    }
    private struct State {
        var head: Int64 = 0
        var waiters: [Int: Waiter] = [:]
        var nextID = 0
        var stopped = false
    }

    private let state = Mutex(State())
    private let open: @Sendable () throws -> Connection

    init(open: @escaping @Sendable () throws -> Connection) {
        self.open = open
        let thread = Thread { [self] in self.listen() }
        thread.name = "ledger-feed"
        thread.start()
    }

    /// The highest position announced so far.
    var head: Int64 { state.withLock { $0.head } }

    var isStopped: Bool { state.withLock { $0.stopped } }

    /// Wakes every waiter and stops listening.
    func stop() {
        let waiting = state.withLock { state -> [Waiter] in
            state.stopped = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiting { waiter.continuation.resume() }
    }

    /// Waits until an event after `position` is announced, `timeout` passes, the task is
    /// cancelled or the feed stops. Returns whether the head is now past `position`.
    func wait(after position: Int64, timeout: Duration) async -> Bool {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.head > position || state.stopped { return true }
                    state.waiters[id] = Waiter(after: position, continuation: continuation)
                    return false
                }
                if resumeNow {
                    continuation.resume()
                    return
                }
                Task { [self] in
                    try? await Task.sleep(for: timeout)
                    self.resume(id)
                }
            }
        } onCancel: {
            resume(id)
        }
        return head > position
    }

    private func resume(_ id: Int) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.continuation.resume()
    }

    /// Announces a head, waking the waiters it passes.
    func announce(_ position: Int64) {
        let woken = state.withLock { state -> [Waiter] in
            guard position > state.head else { return [] }
            state.head = position
            let passed = state.waiters.filter { $0.value.after < position }
            for id in passed.keys { state.waiters[id] = nil }
            return Array(passed.values)
        }
        for waiter in woken { waiter.continuation.resume() }
    }

    private func listen() {
        while !isStopped {
            do {
                let connection = try open()
                defer { connection.close() }
                try connection.listen(EventFeedChannel.name)
                // What was appended while nobody listened.
                announce(try EventStore(connection: connection).headPosition())
                while !isStopped {
                    let received = try connection.notifications(timeoutMilliseconds: 1_000)
                    if let highest = received.compactMap({ Int64($0.payload) }).max() { announce(highest) }
                }
            } catch {
                // The database is away: try again in a moment.
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
    }
}
