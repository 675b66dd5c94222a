import AccessModel
import LedgerService
import LedgerStore
import Testing

/// The report's timeline geometry and escaping, without a database or a browser.
@Suite("Audit report: timeline geometry")
struct TimelineTests {
    static let hour: Int64 = 3_600_000_000
    static let t0 = Timestamp(year: 2026, month: 3, day: 1)

    static func interval(
        _ user: String, from: Int64, to: Int64?, state: AccessState = .active, position: Int64 = 1
    ) -> AccessInterval {
        AccessInterval(
            workspace: "svc/ws", username: user, role: state == .active ? .use : nil, liveRole: .use, state: state,
            via: ["user"], from: AsOf(position: position, time: Timestamp(microseconds: t0.microseconds + from)),
            to: to.map { AsOf(position: position + 1, time: Timestamp(microseconds: t0.microseconds + $0)) },
            startedBy: .init(actor: "admin", type: "workspace_shared", reason: nil),
            endedBy: to.map { _ in .init(actor: "admin", type: "workspace_unshared", reason: "INC-1") })
    }

    @Test func barsSitOnTheirRowsAndTimesScaleLinearly() {
        let end = Timestamp(microseconds: Self.t0.microseconds + 10 * Self.hour)
        let timeline = Timeline(
            intervals: [
                Self.interval("bob", from: 0, to: 5 * Self.hour),
                Self.interval("alice", from: 5 * Self.hour, to: nil, state: .pendingRevocation),
                Self.interval("bob", from: 5 * Self.hour, to: 5 * Self.hour),
            ], start: Self.t0, end: end, rowKey: \.username)
        #expect(timeline.rows == ["alice", "bob"])
        #expect(timeline.bars.map(\.row) == [1, 0, 1])
        let left = Timeline.labelWidth
        #expect(timeline.bars[0].x == left && timeline.bars[0].width == Timeline.plotWidth / 2)
        // An open interval runs to the end of the period.
        #expect(timeline.bars[1].x == left + Timeline.plotWidth / 2)
        #expect(timeline.bars[1].x + timeline.bars[1].width == left + Timeline.plotWidth)
        // A moment stays visible.
        #expect(timeline.bars[2].width == Timeline.minimumBarWidth)
    }

    @Test func intervalsOutsideThePeriodAreClampedToIt() {
        let timeline = Timeline(
            intervals: [Self.interval("bob", from: -5 * Self.hour, to: 50 * Self.hour)], start: Self.t0,
            end: Timestamp(microseconds: Self.t0.microseconds + 10 * Self.hour), rowKey: \.username)
        #expect(timeline.bars[0].x == Timeline.labelWidth)
        #expect(timeline.bars[0].width == Timeline.plotWidth)
    }

    @Test(arguments: [
        (Int64(30_000_000), ":"),  // 30 s: seconds
        (Int64(6 * 3_600_000_000), ":00"),  // hours
        (Int64(20 * 24 * 3_600_000_000), "2026-03-"),  // days
        (Int64(400 * 24 * 3_600_000_000), "2027-"),  // months
    ])
    func ticksFollowTheSpan(_ span: Int64, _ sample: String) {
        let end = Timestamp(microseconds: Self.t0.microseconds + span)
        let timeline = Timeline(intervals: [], start: Self.t0, end: end, rowKey: \.username)
        #expect((2...13).contains(timeline.ticks.count), "\(timeline.ticks.map(\.label))")
        #expect(timeline.ticks.contains { $0.label.contains(sample) }, "\(timeline.ticks.map(\.label))")
        // Ticks are inside the plot and in order.
        let xs = timeline.ticks.map(\.x)
        #expect(xs == xs.sorted())
        #expect(xs.allSatisfy { $0 >= Timeline.labelWidth && $0 <= Timeline.labelWidth + Timeline.plotWidth })
    }

    @Test func theSVGHasOneBarPerIntervalAndEscapesUserText() {
        var hostile = Self.interval("bob", from: 0, to: Self.hour)
        hostile.endedBy = .init(actor: "admin", type: "workspace_unshared", reason: "<script>alert(1)</script> & \"x\"")
        let timeline = Timeline(
            intervals: [hostile, Self.interval("carol", from: 0, to: nil)], start: Self.t0,
            end: Timestamp(microseconds: Self.t0.microseconds + 2 * Self.hour), rowKey: \.username)
        let svg = TimelineSVG.render(timeline)
        #expect(svg.components(separatedBy: "<rect class=\"bar ").count - 1 == 2)
        #expect(!svg.contains("<script>"))
        #expect(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"))
        #expect(svg.contains("data-from-position=\"1\" data-to-position=\"2\""))
        #expect(svg.contains("data-to=\"\""), "an open interval has no end")
        #expect(HTML.escape("a<b>&'\"\u{1b}") == "a&lt;b&gt;&amp;&#39;&quot;\\x1b")
    }
}
