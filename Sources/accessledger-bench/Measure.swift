#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The monotonic clock, in seconds (`clock_gettime(CLOCK_MONOTONIC)`).
enum MonotonicClock {
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Runs `body` and returns its result with the seconds it took.
    static func time<T>(_ body: () throws -> T) rethrows -> (value: T, seconds: Double) {
        let start = now()
        let value = try body()
        return (value, now() - start)
    }
}

/// Repeated observations of one quantity (a latency, a rate, a size).
struct Samples: Sendable {
    private(set) var values: [Double] = []

    init(_ values: [Double] = []) { self.values = values }

    mutating func append(_ value: Double) { values.append(value) }

    var count: Int { values.count }

    /// The middle value (the mean of the two middle ones for an even count); 0 when empty.
    var median: Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The nearest-rank percentile `p` in 0...1; 0 when empty.
    func percentile(_ p: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }

    /// The tail that matters: the 99th percentile of a latency (slow end), the 1st percentile
    /// of a rate (slow end too).
    func tail(higherIsBetter: Bool) -> Double { percentile(higherIsBetter ? 0.01 : 0.99) }
}

/// Times `body` `repetitions` times after `warmup` unmeasured calls; returns milliseconds.
/// `body` gets the repetition number (warm-up calls count from 0 too, before the measured ones).
func measureLatency(warmup: Int, repetitions: Int, _ body: (Int) throws -> Void) rethrows -> Samples {
    for index in 0..<warmup { try body(index) }
    var samples = Samples()
    for index in 0..<repetitions {
        let start = MonotonicClock.now()
        try body(warmup + index)
        samples.append((MonotonicClock.now() - start) * 1_000)
    }
    return samples
}
