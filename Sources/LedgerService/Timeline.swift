import AccessModel
import LedgerStore

/// The geometry of the audit report's timeline (SPEC §9): one row per user (or per workspace
/// for a user's report), one bar per `audit history` interval, on a time axis with ticks every
/// hour, day or month as the span asks. Plain values, no drawing: the report renders them as
/// SVG, and tests check them without a browser.
public struct Timeline: Sendable, Equatable {
    /// A bar: where it is, and what it stands for.
    public struct Bar: Sendable, Equatable {
        public var row: Int
        public var x: Double
        public var width: Double
        public var interval: AccessInterval
    }
    /// A tick of the time axis.
    public struct Tick: Sendable, Equatable {
        public var x: Double
        public var label: String
    }

    public static let labelWidth = 220.0
    public static let plotWidth = 1000.0
    public static let rowHeight = 26.0
    public static let axisHeight = 30.0
    /// Bars are never thinner than this, so an interval of a moment stays visible.
    public static let minimumBarWidth = 2.0

    public var start: Timestamp
    public var end: Timestamp
    /// The row labels, in order (usernames, or workspaces for a user's report).
    public var rows: [String]
    public var bars: [Bar]
    public var ticks: [Tick]

    public var width: Double { Timeline.labelWidth + Timeline.plotWidth + 20 }
    public var height: Double { Timeline.axisHeight + Double(max(rows.count, 1)) * Timeline.rowHeight + 10 }

    /// Lays out `intervals` over `[start, end]`; an open interval runs to `end`. Rows are
    /// `rowKey` values in order of first appearance sorted by name.
    public init(
        intervals: [AccessInterval], start: Timestamp, end: Timestamp, rowKey: (AccessInterval) -> String
    ) {
        let end = end > start ? end : Timestamp(microseconds: start.microseconds + 3_600_000_000)
        self.start = start
        self.end = end
        rows = Array(Set(intervals.map(rowKey))).sorted { Name.key($0) < Name.key($1) }
        let rowIndex = Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($1, $0) })
        let span = Double(end.microseconds - start.microseconds)
        func x(_ time: Timestamp) -> Double {
            let clamped = min(max(time.microseconds, start.microseconds), end.microseconds)
            return Timeline.labelWidth + Double(clamped - start.microseconds) / span * Timeline.plotWidth
        }
        bars = intervals.map { interval in
            let from = x(interval.from.time ?? start)
            let to = x(interval.to?.time ?? end)
            return Bar(
                row: rowIndex[rowKey(interval)] ?? 0, x: from, width: max(to - from, Timeline.minimumBarWidth),
                interval: interval)
        }
        ticks = Timeline.ticks(from: start, to: end).map { Tick(x: x($0.time), label: $0.label) }
    }

    /// Tick times and labels: seconds or minutes for up to two hours, hours for up to two days,
    /// days for up to about three months, months beyond; at most about a dozen.
    static func ticks(from start: Timestamp, to end: Timestamp) -> [(time: Timestamp, label: String)] {
        let hour: Int64 = 3_600_000_000
        let span = end.microseconds - start.microseconds
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        var ticks: [(Timestamp, String)] = []
        if span <= 2 * hour {
            // Minutes (or seconds, for a span of moments).
            let second: Int64 = 1_000_000
            let steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map { Int64($0) * second }
            let step = steps.first(where: { span / $0 <= 12 }) ?? hour
            var t = (start.microseconds / step + 1) * step
            while t <= end.microseconds {
                let c = Timestamp(microseconds: t).civil
                let seconds = t / second % 60
                let label = "\(two(c.hour)):\(two(c.minute))" + (step < 60 * second ? ":\(two(seconds))" : "")
                ticks.append((Timestamp(microseconds: t), label))
                t += step
            }
        } else if span <= 48 * hour {
            let step = [1, 2, 3, 6, 12].map { Int64($0) * hour }.first(where: { span / $0 <= 12 }) ?? 12 * hour
            var t = (start.microseconds / step + (start.microseconds % step == 0 ? 0 : 1)) * step
            while t <= end.microseconds {
                let c = Timestamp(microseconds: t).civil
                ticks.append((Timestamp(microseconds: t), "\(two(c.month))-\(two(c.day)) \(two(c.hour)):00"))
                t += step
            }
        } else if span <= 92 * 24 * hour {
            let dayChoices: [Int64] = [1, 2, 7, 14]
            let days: Int64 = dayChoices.first(where: { span / ($0 * 24 * hour) <= 12 }) ?? 14
            let c = start.civil
            var t = Timestamp(year: c.year, month: c.month, day: c.day + 1)
            while t <= end {
                let d = t.civil
                ticks.append((t, "\(d.year)-\(two(d.month))-\(two(d.day))"))
                t = Timestamp(year: d.year, month: d.month, day: d.day + days)
            }
        } else {
            let monthChoices: [Int64] = [1, 2, 3, 6, 12]
            let months: Int64 = monthChoices.first(where: { span / ($0 * 30 * 24 * hour) <= 12 }) ?? 12
            let c = start.civil
            var t = Timestamp(year: c.year, month: c.month + 1, day: 1)
            while t <= end {
                let d = t.civil
                ticks.append((t, "\(d.year)-\(two(d.month))"))
                t = Timestamp(year: d.year, month: d.month + months, day: 1)
            }
        }
        return ticks
    }
}
