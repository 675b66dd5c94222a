import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Hashes batches of the log on other threads while the calling thread reads the next ones,
/// and hands the results back **in order**: the chain's checks stay sequential on the calling
/// thread, only the canonical encoding and SHA-256 of each event (which need nothing of the
/// events before it) run in parallel. At most ``depth`` batches are in flight, so memory stays
/// constant whatever the length of the log.
///
/// Measured (README, "Verify since"): on 2 shared cores with the server local, a second thread
/// changes nothing measurable, as the server's side of the read bounds `verify`; it pays where the
/// client's share is larger (more cores, a remote server).
final class HashingPipeline {
    /// Batches submitted and not yet handed back, oldest first.
    private var pending: [PendingBatch] = []
    private var oldest = 0
    /// How many batches may be hashed at once (0: hash on the calling thread).
    let depth: Int
    private let queue = DispatchQueue.global(qos: .userInitiated)

    /// - Parameter threads: threads that hash; 0 hashes on the calling thread, in turn with
    ///   reading.
    init(threads: Int) {
        depth = threads <= 0 ? 0 : threads + 1
    }

    /// The threads to use on this machine: one per core beyond the reading thread's, at least
    /// one (the reading thread mostly waits for the server).
    static var defaultThreads: Int {
        let cores = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return max(1, min(8, cores - 1))
    }

    private var inFlight: Int { pending.count - oldest }

    /// Starts hashing `batch`; when ``depth`` batches are in flight, first waits for the
    /// oldest and hands it to `take`.
    func submit(_ batch: EventBatch, take: ([HashedRow]) throws -> Void) rethrows {
        guard depth > 0 else { return try take(batch.hashed()) }
        while inFlight >= depth { try take(next()) }
        pending.append(PendingBatch(batch, on: queue))
    }

    /// Hands every batch still in flight to `take`, in order.
    func finish(take: ([HashedRow]) throws -> Void) rethrows {
        while inFlight > 0 { try take(next()) }
    }

    /// Waits for the batches still in flight and drops their results (after a failure).
    func abandon() {
        while inFlight > 0 { _ = next() }
    }

    private func next() -> [HashedRow] {
        let rows = pending[oldest].wait()
        oldest += 1
        if oldest > 64 {
            pending.removeFirst(oldest)
            oldest = 0
        }
        return rows
    }

    deinit { abandon() }
}

/// One batch being hashed on the queue.
private final class PendingBatch: Sendable {
    private let rows = Mutex<[HashedRow]?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(_ batch: EventBatch, on queue: DispatchQueue) {
        queue.async { [self] in
            let hashed = batch.hashed()
            rows.withLock { $0 = hashed }
            done.signal()
        }
    }

    /// The batch's rows, once hashed.
    func wait() -> [HashedRow] {
        done.wait()
        return rows.withLock { $0.take() ?? [] }
    }
}
