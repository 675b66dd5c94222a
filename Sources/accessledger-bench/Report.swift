#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Progress lines on stderr, each with the seconds since the harness started.
enum Log {
    nonisolated(unsafe) private static var started = MonotonicClock.now()

    static func line(_ text: String) {
        let elapsed = Format.fixed(MonotonicClock.now() - started, digits: 1).leftPadded(to: 7, with: " ")
        StandardStream.error.write("[\(elapsed)s] \(text)\n")
    }
}

/// Collects the measurements: each is printed as one JSON line on stdout as soon as it is
/// known; ``finish()`` prints the readable table and the targets on stderr.
final class Report {
    private(set) var measurements: [Measurement] = []

    func add(_ measurement: Measurement) {
        measurements.append(measurement)
        StandardStream.output.write(measurement.jsonLine + "\n")
        Log.line(
            "\(measurement.name) \(Format.readable(measurement.value)) \(measurement.unit) vs \(measurement.baseline) "
                + "\(Format.readable(measurement.baselineValue)): ×\(Format.fixed(measurement.ratio, digits: 2))")
    }

    /// The table of every measurement, then each target met or missed.
    func finish(targets: [Target]) {
        let header = ["measurement", "unit", "median", "p99", "baseline", "median", "p99", "ratio"]
        var rows = [header]
        for m in measurements {
            rows.append([
                m.name, m.unit, Format.readable(m.value), Format.readable(m.p99), m.baseline,
                Format.readable(m.baselineValue), Format.readable(m.baselineP99),
                "×" + Format.fixed(m.ratio, digits: 2),
            ])
        }
        var widths = Array(repeating: 0, count: header.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        var text = "\n"
        for (number, row) in rows.enumerated() {
            let cells = row.enumerated().map { index, cell in
                index == 0 || index == 1 || index == 4
                    ? cell.rightPadded(to: widths[index])
                    : cell.leftPadded(to: widths[index], with: " ")
            }
            text += cells.joined(separator: "  ") + "\n"
            if number == 0 { text += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        text += "ratio: times as good as the baseline (rates: ours/baseline; latency and memory: baseline/ours).\n"
        text +=
            "p99: the slow tail (99th percentile latency; for rates the 1st percentile, i.e. the slowest window or run).\n"
        if !targets.isEmpty { text += "\ntargets (same run):\n" }
        for target in targets {
            let found = measurements.first { $0.name == target.name && $0.baseline == target.baseline }
            let verdict: String
            let needs: String
            if let limit = target.maximumMedian {
                needs = "p50 < \(Format.readable(limit)) \(found?.unit ?? "")"
                verdict = found.map { (($0.value < limit) ? "met    " : "MISSED ") + "p50 \(Format.readable($0.value))" }
                    ?? "not measured"
            } else if let limit = target.maximumP99 {
                needs = "p99 < \(Format.readable(limit)) \(found?.unit ?? "")"
                verdict = found.map { (($0.p99 < limit) ? "met    " : "MISSED ") + "p99 \(Format.readable($0.p99))" }
                    ?? "not measured"
            } else {
                needs = "×" + Format.fixed(target.minimumRatio, digits: 2)
                verdict = found.map {
                    ($0.ratio >= target.minimumRatio ? "met    " : "MISSED ") + "×" + Format.fixed($0.ratio, digits: 2)
                } ?? "not measured"
            }
            text += "  \(verdict)  \(target.description) (needs \(needs))\n"
        }
        StandardStream.error.write(text)
    }
}

/// A goal of the issue, as a minimum ratio of one measurement against one baseline, or (with
/// `maximumP99` or `maximumMedian`) as an absolute bound on the measurement's tail or median.
struct Target {
    var name: String
    var baseline: String
    var minimumRatio: Double
    var description: String
    /// When set, the target is met when the measurement's p99 is below this (in its unit),
    /// whatever the ratio.
    var maximumP99: Double? = nil
    /// When set, the target is met when the measurement's median is below this (in its unit),
    /// whatever the ratio.
    var maximumMedian: Double? = nil
}

/// Unbuffered writes to stdout and stderr (`write(2)`), so that each JSON line is out as soon
/// as it is known and progress interleaves correctly with it.
enum StandardStream {
    case output
    case error

    func write(_ text: String) {
        let descriptor: Int32 = self == .output ? 1 : 2
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { buffer in
                #if canImport(Glibc)
                    Glibc.write(descriptor, buffer.baseAddress, buffer.count)
                #else
                    Darwin.write(descriptor, buffer.baseAddress, buffer.count)
                #endif
            }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }
}
