import AccessModel
import LedgerStore
import PostgresClient

/// The audit report (SPEC §9): one self-contained HTML page for a workspace or a user over a
/// period: the evidence (head and verify result when it was made), the access at the end of the
/// period, a timeline of the `audit history` intervals, and the events of the period. Inline CSS
/// and SVG only; a Content-Security-Policy forbids every fetch and every script; every value that
/// came from a user is HTML-escaped.
public struct AuditReport: Sendable {
    /// One line of "the access at the end of the period".
    public struct AccessLine: Sendable, Equatable {
        public var workspace: String
        public var username: String
        public var role: WorkspaceRole?
        public var liveRole: WorkspaceRole?
        public var via: [String]
        public var state: AccessState
    }

    public var subject: AuditHistory.Subject
    public var since: Timestamp?
    public var until: Timestamp?
    /// The span the timeline shows.
    public var start: Timestamp
    public var end: Timestamp
    /// The head the report vouches for: the last event `verify` checked when it was made.
    public var headPosition: Int64
    public var headHash: String
    public var verify: VerifyReport
    public var generatedAt: Timestamp
    public var access: [AccessLine]
    public var intervals: [AccessInterval]
    public var events: [RecordedEvent]

    /// The database's clock.
    public static func now(on connection: Connection) throws -> Timestamp {
        Timestamp(
            microseconds: try connection.query("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint")
                .first?
                .int64(0) ?? 0)
    }

    /// Reads everything the report shows, on one connection.
    /// - Throws: ``LedgerError`` for an unknown subject or a failing database.
    public static func gather(
        on connection: Connection, subject: AuditHistory.Subject, since: Timestamp?, until: Timestamp?,
        now: Timestamp
    ) throws -> AuditReport {
        let ledger = Ledger(connection: connection)
        let intervals = try AuditHistory(connection: connection).intervals(of: subject, since: since, until: until)
        var filter = AuditFilter()
        filter.since = since
        filter.until = until
        switch subject {
        case .workspace(let reference): filter = try ledger.auditFilter(filter, workspace: reference, user: nil)
        case .user(let username): filter = try ledger.auditFilter(filter, workspace: nil, user: username)
        }
        var events: [RecordedEvent] = []
        try AuditLog(connection: connection).forEach(filter) { events.append($0) }
        let report = try EventStore(connection: connection).verify()
        let point: LogPoint? = until.map { .time(min($0, now)) }
        let access = try ledger.snapshot(at: point) { reader, _ -> [AccessLine] in
            var lines: [AccessLine] = []
            func add(_ status: SharingStatus, only username: String?) {
                for row in status.access where username.map({ Name.key($0) == Name.key(row.username) }) ?? true {
                    lines.append(
                        AccessLine(
                            workspace: status.workspace, username: row.username, role: row.role,
                            liveRole: row.liveRole, via: row.via, state: row.state))
                }
            }
            switch subject {
            case .workspace(let reference):
                if let workspace = try? Ledger.resolve(reference, in: reader) {
                    add(try SharingStatus(of: workspace, reader: reader), only: nil)
                }
            case .user(let username):
                let key = Name.key(username)
                for row in try reader.accessRows(userKey: key) {
                    guard let workspace = try reader.workspace(id: row.workspaceID) else { continue }
                    add(try SharingStatus(of: workspace, reader: reader), only: username)
                }
                lines.sort { Name.key($0.workspace) < Name.key($1.workspace) }
            }
            return lines
        }
        let firstTime = intervals.compactMap(\.from.time).min() ?? events.first?.occurredAt ?? now
        return AuditReport(
            subject: subject, since: since, until: until, start: since ?? firstTime, end: min(until ?? now, now),
            headPosition: report.head?.position ?? 0, headHash: report.head?.hash ?? Hex.encode(EventHasher.genesis),
            verify: report, generatedAt: now,
            access: access, intervals: intervals, events: events)
    }

    var title: String {
        switch subject {
        case .workspace(let reference): return "Workspace \(reference)"
        case .user(let username): return "User \(username)"
        }
    }

    var timeline: Timeline {
        Timeline(intervals: intervals, start: start, end: end) { interval in
            if case .user = subject { return interval.workspace }
            return interval.username
        }
    }

    /// The page.
    public func html() -> String {
        let e = HTML.escape
        var page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>accessledger audit report: \(e(title))</title>
            <style>\(AuditReport.css)</style>
            </head>
            <body>
            <header>
            <h1>Audit report: \(e(title))</h1>
            <p class="period">Period: \(e(since?.rfc3339 ?? "the beginning of the log")) to \(e(until?.rfc3339 ?? "now")) (UTC). Generated \(e(generatedAt.rfc3339)).</p>
            </header>

            """
        page += evidenceSection()
        page += accessSection()
        page += timelineSection()
        page += eventsSection()
        page += "</body>\n</html>\n"
        return page
    }

    func evidenceSection() -> String {
        let e = HTML.escape
        let verdict =
            verify.ok
            ? "<span class=\"ok\">verified</span>: \(verify.events) events, hash chain intact"
            : "<span class=\"bad\">FAILED</span> at position \(verify.firstBadPosition.map(String.init) ?? "?"): \(e(verify.problem ?? ""))"
        return """
            <section id="evidence">
            <h2>Evidence</h2>
            <table class="facts">
            <tr><th>Head of the log</th><td>position <span id="head-position">\(headPosition)</span>, hash <code id="head-hash">\(e(headHash))</code></td></tr>
            <tr><th>Hash chain when this report was made</th><td id="verify">\(verdict)</td></tr>
            <tr><th>Re-check it</th><td><code>accessledger verify --expect-head \(headPosition):\(e(headHash))</code></td></tr>
            </table>
            </section>

            """
    }

    func accessSection() -> String {
        let e = HTML.escape
        var text = "<section id=\"access\">\n<h2>Access at the end of the period</h2>\n"
        guard !access.isEmpty else {
            return text
                + "<p class=\"empty\">Nobody but the owner had access at the end of the period.</p>\n</section>\n"
        }
        text +=
            "<table>\n<tr><th>Workspace</th><th>User</th><th>Role</th><th>Live role</th><th>Via</th><th>State</th></tr>\n"
        for line in access {
            text +=
                "<tr class=\"\(line.state.rawValue)\"><td>\(e(line.workspace))</td><td>\(e(line.username))</td>"
                + "<td>\(line.role?.rawValue ?? "-")</td><td>\(line.liveRole?.rawValue ?? "-")</td>"
                + "<td>\(e(line.via.isEmpty ? "-" : line.via.joined(separator: ", ")))</td>"
                + "<td>\(line.state.rawValue)</td></tr>\n"
        }
        return text + "</table>\n</section>\n"
    }

    func timelineSection() -> String {
        var text = "<section id=\"timeline\">\n<h2>Timeline</h2>\n"
        guard !intervals.isEmpty else {
            return text + "<p class=\"empty\">No access in this period.</p>\n</section>\n"
        }
        text +=
            "<p class=\"legend\"><span class=\"swatch active\"></span> active <span class=\"swatch pending_revocation\"></span> "
            + "pending revocation (removed, but live until the workspace restarts)</p>\n"
        return text + TimelineSVG.render(timeline) + "\n</section>\n"
    }

    func eventsSection() -> String {
        let e = HTML.escape
        var text = "<section id=\"events\">\n<h2>Events of the period</h2>\n"
        guard !events.isEmpty else { return text + "<p class=\"empty\">No events in this period.</p>\n</section>\n" }
        text +=
            "<table>\n<tr><th>Position</th><th>Time (UTC)</th><th>Type</th><th>Actor</th><th>Token</th><th>Reason</th></tr>\n"
        for event in events {
            text +=
                "<tr><td>\(event.position)</td><td>\(e(event.occurredAt.rfc3339))</td><td>\(e(event.type))</td>"
                + "<td>\(e(event.actor))</td><td>\(e(event.token ?? "-"))</td><td class=\"reason\">\(e(event.reason ?? ""))</td></tr>\n"
        }
        return text + "</table>\n</section>\n"
    }

    static let css = """
        body { font: 13px/1.45 -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1d232b; margin: 24px; }
        h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 24px 0 8px; border-bottom: 1px solid #d8dde3; }
        .period { color: #4b5563; margin: 0; }
        table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eceff2; vertical-align: top; }
        th { background: #f4f6f8; font-weight: 600; } table.facts th { width: 260px; }
        code { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-all; }
        .ok { color: #0f7b3e; font-weight: 600; } .bad { color: #b42318; font-weight: 600; }
        .empty { color: #6b7280; font-style: italic; }
        tr.pending_revocation td { background: #fff4e5; }
        td.reason { white-space: pre-wrap; word-break: break-word; }
        svg { max-width: 100%; height: auto; display: block; }
        svg .row-label { font-size: 12px; fill: #1d232b; } svg .tick { font-size: 10px; fill: #6b7280; }
        svg .grid { stroke: #e5e7eb; stroke-width: 1; } svg .band { fill: #f9fafb; }
        svg rect.bar.active, .swatch.active { fill: #2f7d4f; background: #2f7d4f; }
        svg rect.bar.pending_revocation, .swatch.pending_revocation { fill: #e07b00; background: #e07b00; }
        svg .bar-label { font-size: 10px; fill: #ffffff; pointer-events: none; }
        .swatch { display: inline-block; width: 12px; height: 12px; vertical-align: -2px; border-radius: 2px; }
        .legend { color: #4b5563; }
        @page { size: A4 landscape; margin: 12mm; }
        @media print { body { margin: 0; font-size: 11px; } h2 { break-after: avoid; } tr, svg { break-inside: avoid; } }
        """
}

/// The timeline as SVG: rows with their labels, the time axis, and one `rect.bar` per interval
/// with its positions and times in `data-` attributes and its story in a `<title>` tooltip.
public enum TimelineSVG {
    public static func render(_ timeline: Timeline) -> String {
        let e = HTML.escape
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(format(timeline.width))\" height=\"\(format(timeline.height))\" "
            + "viewBox=\"0 0 \(format(timeline.width)) \(format(timeline.height))\" role=\"img\" aria-label=\"Access timeline\">\n"
        let top = Timeline.axisHeight
        let bottom = top + Double(timeline.rows.count) * Timeline.rowHeight
        for (index, row) in timeline.rows.enumerated() {
            let y = top + Double(index) * Timeline.rowHeight
            if index % 2 == 1 {
                svg +=
                    "<rect class=\"band\" x=\"0\" y=\"\(format(y))\" width=\"\(format(timeline.width))\" height=\"\(format(Timeline.rowHeight))\"/>\n"
            }
            svg +=
                "<text class=\"row-label\" x=\"8\" y=\"\(format(y + Timeline.rowHeight / 2 + 4))\">\(e(row))</text>\n"
        }
        for tick in timeline.ticks {
            svg +=
                "<line class=\"grid\" x1=\"\(format(tick.x))\" y1=\"\(format(top - 6))\" x2=\"\(format(tick.x))\" y2=\"\(format(bottom))\"/>"
                + "<text class=\"tick\" x=\"\(format(tick.x))\" y=\"\(format(top - 10))\" text-anchor=\"middle\">\(e(tick.label))</text>\n"
        }
        for bar in timeline.bars {
            let i = bar.interval
            let y = top + Double(bar.row) * Timeline.rowHeight + 4
            let label = (i.role ?? i.liveRole).map { $0.rawValue } ?? "-"
            let via = i.via.isEmpty ? "" : " via " + i.via.joined(separator: ", ")
            var story =
                "\(i.username) on \(i.workspace): role \(i.role?.rawValue ?? "none"), live role \(i.liveRole?.rawValue ?? "none"), \(i.state.rawValue)\(via)"
            story +=
                "\nfrom position \(i.from.position) (\(i.from.time?.rfc3339 ?? "?")): \(i.startedBy.type) by \(i.startedBy.actor)"
            if let reason = i.startedBy.reason { story += " (\(reason))" }
            if let to = i.to, let ended = i.endedBy {
                story += "\nto position \(to.position) (\(to.time?.rfc3339 ?? "?")): \(ended.type) by \(ended.actor)"
                if let reason = ended.reason { story += " (\(reason))" }
            } else {
                story += "\nstill open"
            }
            svg +=
                "<g><rect class=\"bar \(i.state.rawValue)\" x=\"\(format(bar.x))\" y=\"\(format(y))\" width=\"\(format(bar.width))\" "
                + "height=\"\(format(Timeline.rowHeight - 8))\" rx=\"2\" data-from-position=\"\(i.from.position)\" "
                + "data-to-position=\"\(i.to.map { String($0.position) } ?? "")\" data-from=\"\(e(i.from.time?.rfc3339 ?? ""))\" "
                + "data-to=\"\(e(i.to?.time?.rfc3339 ?? ""))\" data-row=\"\(e(timeline.rows[bar.row]))\"><title>\(e(story))</title></rect>"
            if bar.width > 40 {
                svg +=
                    "<text class=\"bar-label\" x=\"\(format(bar.x + 4))\" y=\"\(format(y + Timeline.rowHeight / 2))\">\(e(label + via))</text>"
            }
            svg += "</g>\n"
        }
        return svg + "</svg>"
    }

    /// A coordinate with one decimal.
    static func format(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return tenths % 10 == 0 ? String(tenths / 10) : "\(tenths / 10).\(abs(tenths % 10))"
    }
}

/// HTML escaping for text and attribute values: `&`, `<`, `>`, `"` and `'` as references, and
/// control characters other than tab and newline shown as the tables show them (`\x1b`).
public enum HTML {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n", "\t": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += DisplayText.escaped(String(scalar))
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
