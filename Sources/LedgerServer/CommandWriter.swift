import AccessModel
import Dispatch
import Foundation
import LedgerService
import LedgerStore
import PostgresClient
import Synchronization

/// One mutation sent through the API: the command, who sends it (a token's secret hash, checked
/// inside the writing transaction), why, and the idempotency key it carries.
struct MutationRequest: Sendable {
    /// The commands, applied in order as one: all of them or none (`PATCH …/acl` is a share and a
    /// removal; every other route sends one).
    var commands: [Command]
    var secretSHA256: String
    var reason: String?
    var idempotency: IdempotencyKey?
    /// Checks the names in the path before the commands run, in the same transaction (an unknown
    /// or invisible one answers 404, not 400).
    var check: (@Sendable (Principal, Ledger) throws -> Void)? = nil
    /// Builds the answer's body from what was appended (run in the transaction, so that an
    /// idempotency key stores exactly what was answered).
    var answer: @Sendable (CommandOutcome) -> OutputJSON
    /// What an idempotency key keeps of the answer, when not all of it: a token's secret is
    /// never stored, so a replayed token creation answers `"secret": null`.
    var storedAnswer: (@Sendable (CommandOutcome) -> OutputJSON)? = nil
    /// The answer's status: 200, or 201 where something is created.
    var successStatus: Int
}

/// What a mutation answered.
struct MutationAnswer: Sendable {
    var status: Int
    var body: String
    var outcome: CommandOutcome?
    /// The answer was replayed from an idempotency key.
    var replayed: Bool
}

/// The single writer of the service: one thread with one connection that takes every queued
/// mutation and commits them together (group commit), each under a savepoint of its own.
///
/// Every guarantee of SPEC §6 holds: each command is decided against the state the previous one
/// left (same transaction, append lock held), a refused command rolls back to its savepoint and
/// affects no other, positions stay gap-free, and a request is answered only after the COMMIT
/// that made its events durable.
final class CommandWriter: Sendable {
    private struct Pending: Sendable {
        var request: MutationRequest
        var continuation: CheckedContinuation<MutationAnswer, any Error>
    }

    private let queue = Mutex<[Pending]>([])
    private let waiting = DispatchSemaphore(value: 0)
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let open: @Sendable () throws -> Connection
    private let metrics: ServiceMetrics
    /// The most commands one transaction commits.
    let batchLimit: Int

    init(batchLimit: Int = 64, metrics: ServiceMetrics, open: @escaping @Sendable () throws -> Connection) {
        self.batchLimit = batchLimit
        self.metrics = metrics
        self.open = open
        let thread = Thread { [self] in self.loop() }
        thread.name = "ledger-writer"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Queues `request` and waits until it is committed (or refused).
    func submit(_ request: MutationRequest) async throws -> MutationAnswer {
        try await withCheckedThrowingContinuation { continuation in
            queue.withLock { $0.append(Pending(request: request, continuation: continuation)) }
            waiting.signal()
        }
    }

    /// How many mutations wait for the writer (not counting the batch it is running).
    var queued: Int { queue.withLock { $0.count } }

    /// Finishes what is queued, then ends the thread.
    func shutdown() {
        stopped.store(true, ordering: .releasing)
        waiting.signal()
        finished.wait()
    }

    private func loop() {
        var connection: Connection?
        while true {
            waiting.wait()
            let batch: [Pending] = queue.withLock { pending in
                let taken = Array(pending.prefix(batchLimit))
                pending.removeFirst(taken.count)
                return taken
            }
            if batch.isEmpty {
                if stopped.load(ordering: .acquiring) { break }
                continue
            }
            // Semaphore counts one per submission: consume the extra signals of this batch.
            for _ in 1..<batch.count { waiting.wait() }
            commit(batch, connection: &connection)
        }
        connection?.close()
        finished.signal()
    }

    /// Runs `batch` in one transaction and answers each request after the COMMIT.
    private func commit(_ batch: [Pending], connection slot: inout Connection?) {
        let started = ContinuousClock.now
        var results: [Result<MutationAnswer, any Error>] = []
        do {
            var connection = try ConnectionThreads.usable(&slot, open: open)
            do { try connection.query("BEGIN ISOLATION LEVEL READ COMMITTED") } catch let error
                where ConnectionThreads.isConnectionFailure(error)
            {
                // The kept connection died with the database since the last batch: nothing ran
                // yet, so begin once more on a new one.
                ConnectionThreads.recover(&slot, after: error)
                connection = try ConnectionThreads.usable(&slot, open: open)
                try connection.query("BEGIN ISOLATION LEVEL READ COMMITTED")
            }
            for pending in batch {
                results.append(try runOne(pending.request, on: connection))
            }
            try connection.query("COMMIT")
        } catch {
            // The transaction failed as a whole (the database went away, or COMMIT failed):
            // nothing of this batch was appended, so every request fails alike.
            ConnectionThreads.recover(&slot, after: error)
            let failure = ConnectionThreads.mapped(error)
            for pending in batch { pending.continuation.resume(throwing: failure) }
            return
        }
        metrics.recordCommit(commands: batch.count, duration: ContinuousClock.now - started)
        for (pending, result) in zip(batch, results) {
            if case .success(let answer) = result, let outcome = answer.outcome {
                metrics.eventsAppended(outcome.events.count)
            }
            pending.continuation.resume(with: result)
        }
    }

    /// One command under its own savepoint: a refusal rolls back to it and is this request's
    /// answer; a database failure ends the whole transaction (rethrown).
    ///
    /// `SAVEPOINT` rides with the command's first statement (the authentication) and `RELEASE`
    /// with the next command's or the `COMMIT`, so neither costs a round trip of its own.
    private func runOne(_ request: MutationRequest, on connection: Connection) throws -> Result<
        MutationAnswer, any Error
    > {
        connection.sendWithNext("SAVEPOINT command")
        do {
            let ledger = Ledger(connection: connection)
            guard let principal = try ledger.authenticate(secretSHA256: request.secretSHA256) else {
                throw ServiceError.unauthenticated
            }
            if let key = request.idempotency, let earlier = try key.lookUp(on: connection, for: principal) {
                connection.sendWithNext("RELEASE SAVEPOINT command")
                return .success(earlier)
            }
            try request.check?(principal, ledger)
            var outcome = CommandOutcome(events: [])
            for command in request.commands {
                let step = try ledger.executeInTransaction(
                    command, actor: principal.user.username, reason: request.reason, token: principal.tokenReference)
                outcome.events += step.events
                outcome.restartRequired = Array(Set(outcome.restartRequired + step.restartRequired)).sorted()
            }
            let body = request.answer(outcome).rendered()
            if let key = request.idempotency {
                let stored = request.storedAnswer.map { $0(outcome).rendered() } ?? body
                try key.store(status: request.successStatus, body: stored, on: connection, for: principal)
            }
            connection.sendWithNext("RELEASE SAVEPOINT command")
            return .success(
                MutationAnswer(status: request.successStatus, body: body, outcome: outcome, replayed: false))
        } catch let error where CommandWriter.isAnswer(error) {
            // Sends the SAVEPOINT first if nothing carried it yet.
            try connection.query("ROLLBACK TO SAVEPOINT command")
            connection.sendWithNext("RELEASE SAVEPOINT command")
            return .failure(error)
        }
    }

    /// Whether `error` is this request's own answer (a refusal, a conflict, bad input), as
    /// opposed to a failure of the database that ends the whole transaction.
    static func isAnswer(_ error: any Error) -> Bool {
        switch error {
        case is ServiceError: return true
        case let error as LedgerError:
            return [.invalidInput, .notFound, .notPermitted, .conflict].contains(error.kind)
        default: return false
        }
    }
}
