import Foundation

/// Runs concurrent writers on their own threads (not a pool sized to the cores: eight writers
/// must really be eight connections at once, even on two cores), starts them together once each
/// has connected, and records when each operation finished and how long it took.
final class Writers: @unchecked Sendable {
    /// One finished operation: seconds since the common start, and its latency in milliseconds.
    struct Completion: Sendable {
        var finishedAt: Double
        var milliseconds: Double
        /// The writer's step counter for this operation (what kind of operation it was).
        var step: Int
    }

    /// What one writer does: `prepare` connects (not timed); the operation it returns is called
    /// repeatedly with a counter until the run ends.
    typealias Prepare = @Sendable (_ writer: Int) throws -> (_ step: Int) throws -> Void

    private let condition = NSCondition()
    private var ready = 0
    private var finished = 0
    private var started = false
    private var startTime = 0.0
    private var completions: [Completion] = []
    private var failure: String?
    /// Operations handed out so far (with a limit on operations).
    private let claimed = Counter()

    /// Runs `count` writers for `seconds` (or until they performed `operations` in all, when
    /// given) and returns every completion, in no particular order. With `operations`, the
    /// `step` an operation gets is the number of the operation in the whole run (from 0), not
    /// the writer's own counter.
    /// - Throws: ``BenchError`` with the first writer's failure.
    static func run(count: Int, seconds: Double, operations: Int? = nil, prepare: @escaping Prepare) throws
        -> [Completion]
    {
        let writers = Writers()
        for index in 0..<count {
            let thread = Thread { writers.work(index, seconds: seconds, operations: operations, prepare: prepare) }
            thread.start()
        }
        writers.condition.lock()
        while writers.ready < count && writers.failure == nil { writers.condition.wait() }
        writers.startTime = MonotonicClock.now()
        writers.started = true
        writers.condition.broadcast()
        while writers.finished < count { writers.condition.wait() }
        let failure = writers.failure
        let completions = writers.completions
        writers.condition.unlock()
        if let failure { throw BenchError(failure) }
        return completions
    }

    private func work(_ index: Int, seconds: Double, operations: Int?, prepare: Prepare) {
        var local: [Completion] = []
        var problem: String?
        do {
            let operation = try prepare(index)
            condition.lock()
            ready += 1
            condition.broadcast()
            while !started { condition.wait() }
            let start = startTime
            condition.unlock()
            var step = 0
            while true {
                let before = MonotonicClock.now()
                if before - start >= seconds { break }
                if let operations {
                    step = claimed.take()
                    if step >= operations { break }
                }
                try operation(step)
                let after = MonotonicClock.now()
                local.append(Completion(finishedAt: after - start, milliseconds: (after - before) * 1_000, step: step))
                step += 1
            }
        } catch {
            problem = "writer \(index): \(error)"
        }
        condition.lock()
        if failure == nil, let problem { failure = problem }
        if problem != nil && !started { ready += 1 }
        completions += local
        finished += 1
        condition.broadcast()
        condition.unlock()
    }
}
