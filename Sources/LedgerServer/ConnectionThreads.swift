import Dispatch
import Foundation
import LedgerStore
import PostgresClient
import Synchronization

/// Blocking libpq work, kept off the server's event loops: a few threads, each with a database
/// connection of its own, take jobs from one queue. A connection never leaves its thread; it is
/// opened on first use and opened again after it was lost (the database restarted), so the
/// service recovers without a restart of its own.
final class ConnectionThreads: Sendable {
    /// A job gets its thread's connection, opening it first when needed.
    typealias Job = @Sendable (inout Connection?) -> Void

    private let jobs = Mutex<[Job]>([])
    private let waiting = DispatchSemaphore(value: 0)
    private let stopped = Atomic<Bool>(false)
    private let open: @Sendable () throws -> Connection

    /// Starts `count` threads that open connections with `open`.
    init(count: Int, name: String, open: @escaping @Sendable () throws -> Connection) {
        self.open = open
        for index in 0..<count {
            let thread = Thread { [self] in self.loop() }
            thread.name = "\(name)-\(index)"
            thread.stackSize = 4 << 20
            thread.start()
        }
    }

    private func loop() {
        var connection: Connection?
        while true {
            waiting.wait()
            guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else {
                if stopped.load(ordering: .acquiring) { break }
                continue
            }
            job(&connection)
        }
        connection?.close()
    }

    /// Runs `body` on one of the threads with its connection and returns what it returns.
    /// - Throws: what `body` throws; ``LedgerError/unavailable(_:)`` when no connection can be
    ///   opened. A connection that failed is closed and opened again for the next job.
    func run<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        let open = self.open
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            enqueue { slot in
                // A connection kept from earlier jobs may have died with the database since: then
                // the job is tried once more on a new one (jobs are reads, or idempotent updates).
                var attempts = slot == nil ? 1 : 2
                while true {
                    attempts -= 1
                    do {
                        let connection = try ConnectionThreads.usable(&slot, open: open)
                        let value = try body(connection)
                        try? connection.rollback()
                        continuation.resume(returning: value)
                        return
                    } catch {
                        let lost = ConnectionThreads.isConnectionFailure(error)
                        ConnectionThreads.recover(&slot, after: error)
                        if lost && attempts > 0 && slot == nil { continue }
                        continuation.resume(throwing: ConnectionThreads.mapped(error))
                        return
                    }
                }
            }
        }
    }

    private func enqueue(_ job: @escaping Job) {
        jobs.withLock { $0.append(job) }
        waiting.signal()
    }

    /// Lets the threads finish the jobs queued and end.
    func shutdown(threads count: Int) {
        stopped.store(true, ordering: .releasing)
        for _ in 0..<count { waiting.signal() }
    }

    /// The thread's connection, opened (again) when there is none or it was lost.
    static func usable(_ slot: inout Connection?, open: () throws -> Connection) throws -> Connection {
        if let current = slot, !current.isOpen {
            current.close()
            slot = nil
        }
        let connection = try slot ?? open()
        slot = connection
        return connection
    }

    /// After a failed job: drops a lost connection (the next job opens another), or rolls back
    /// a transaction the job left open.
    static func recover(_ slot: inout Connection?, after error: any Error) {
        guard let current = slot else { return }
        if !current.isOpen || isConnectionFailure(error) {
            current.close()
            slot = nil
        } else {
            try? current.rollback()
        }
    }

    static func isConnectionFailure(_ error: any Error) -> Bool {
        switch error {
        case let error as PostgresError: return LedgerError(error).kind == .unavailable
        case let error as LedgerError: return error.kind == .unavailable
        default: return false
        }
    }

    /// Database errors as ``LedgerError``s, so that a lost connection answers 503.
    static func mapped(_ error: any Error) -> any Error {
        if let error = error as? PostgresError { return LedgerError(error) }
        return error
    }
}
