import LedgerStore
import PostgresClient

/// `as-of`: answers as of a past position for the busiest workspace, user and group (the most
/// history intervals) at an early, a middle and the last position of the long log, against the
/// same questions (the short log's busiest, at the same points of it) on the short log:
/// - `sharing status OWNER/NAME --at-position P` of the workspace,
/// - `list --search has_access:USER --at-position P` of the user,
/// - `list --search shared_with_group:GROUP --at-position P` of the group.
///
/// Besides the latency, each answer's cost in buffers: every statement the answer sends is
/// recorded (``Connection/statementObserver``) and run again under `EXPLAIN (ANALYZE, BUFFERS)`;
/// the shared buffers its top plan node touched (hit or read, children included) are summed.
/// That is set against the rows of the answer (the rows listed; for a status, its ACL entries,
/// the members its group entries count and its access rows) and against the intervals of the
/// subject that began at or before the position (what a lookup through `(key, from_position)`
/// visits). The busiest subjects of the two logs give answers of different sizes, so the
/// targets compare latency and buffers per answer row (plus one, for empty answers).
struct AsOfBench {
    let report: Report
    let preset: Preset

    /// A ledger to ask `as_of` questions of.
    struct AsOfLog {
        var ledger: Ledger
        /// Reads the temporal tables to choose the questions and runs the EXPLAINs (not timed).
        var owner: Connection
        var events: Int64
    }

    enum Subject: String, CaseIterable {
        case workspace, user, group
    }

    /// One question: its subject, the position it is asked at, and how to ask it (returns the
    /// answer's rows).
    struct Question {
        var subject: Subject
        var name: String
        var position: Int64
        /// Intervals of the subject that began at or before the position.
        var intervalsBefore: Int64
        var ask: () throws -> Int
    }

    static let points = ["early", "middle", "last"]

    /// The answers' cost must not grow with the log: per row of the answer, the latency at the
    /// long log within 1.5× of the short one's, and the buffers bounded by the answer: at most
    /// ``buffersPerRow`` per row (a listed workspace costs a few index descents: its interval
    /// and whether it is shared; a row of a status less than one page).
    static func targets(largeEvents: Int64, smallEvents: Int64) -> [Target] {
        Subject.allCases.flatMap { subject in
            points.flatMap { point in
                let name = "as_of_\(subject.rawValue)_\(point)"
                return [
                    Target(
                        name: "\(name)_per_row_at_\(largeEvents)", baseline: "\(name)_per_row_at_\(smallEvents)",
                        minimumRatio: 1 / 1.5,
                        description: "as-of \(subject.rawValue), \(point) position: latency per answer row at "
                            + "\(largeEvents) events within 1.5× of \(smallEvents)"),
                    Target(
                        name: "\(name)_buffers_per_row_at_\(largeEvents)",
                        baseline: "\(name)_buffers_per_row_at_\(smallEvents)", minimumRatio: 0,
                        description: "as-of \(subject.rawValue), \(point) position: at most \(Int(buffersPerRow)) "
                            + "buffers per answer row at \(largeEvents) events", maximumMedian: buffersPerRow),
                ]
            }
        }
    }

    static let buffersPerRow = 12.0

    func run(large: AsOfLog, small: AsOfLog) throws {
        let repetitions = max(20, preset.queryRepetitions / 10)
        for subject in Subject.allCases {
            let largeQuestions = try questions(about: subject, in: large)
            let smallQuestions = try questions(about: subject, in: small)
            for (index, point) in Self.points.enumerated() {
                let (big, little) = (largeQuestions[index], smallQuestions[index])
                let bigLatency = try measureLatency(warmup: 5, repetitions: repetitions) { _ in _ = try big.ask() }
                let littleLatency = try measureLatency(warmup: 5, repetitions: repetitions) { _ in _ = try little.ask() }
                let name = "as_of_\(subject.rawValue)_\(point)"
                report.add(
                    Measurement(
                        name: "\(name)_at_\(large.events)", unit: "ms", samples: bigLatency,
                        baseline: "\(name)_at_\(small.events)", baselineSamples: littleLatency, higherIsBetter: false))
                var perRow: [Samples] = []
                var buffersPerRow: [Samples] = []
                for (question, log, latency) in [(big, large, bigLatency), (little, small, littleLatency)] {
                    let (buffers, statements, rows) = try cost(of: question, in: log)
                    Log.line(
                        "\(name) at \(log.events) events: \(question.subject.rawValue) \(question.name) at position "
                            + "\(question.position): \(rows) answer rows, \(buffers) buffers over \(statements) "
                            + "statements; \(question.intervalsBefore) of its intervals began at or before it")
                    // Per row of the answer, plus one: an empty answer still costs its lookups.
                    perRow.append(Samples([latency.median * 1_000 / Double(rows + 1)]))
                    buffersPerRow.append(Samples([Double(buffers) / Double(rows + 1)]))
                }
                report.add(
                    Measurement(
                        name: "\(name)_per_row_at_\(large.events)", unit: "µs", samples: perRow[0],
                        baseline: "\(name)_per_row_at_\(small.events)", baselineSamples: perRow[1],
                        higherIsBetter: false))
                report.add(
                    Measurement(
                        name: "\(name)_buffers_per_row_at_\(large.events)", unit: "buffers", samples: buffersPerRow[0],
                        baseline: "\(name)_buffers_per_row_at_\(small.events)", baselineSamples: buffersPerRow[1],
                        higherIsBetter: false))
            }
        }
    }

    /// The busiest subject of the log, asked at an early, a middle and the last position.
    func questions(about subject: Subject, in log: AsOfLog) throws -> [Question] {
        let head = log.events
        switch subject {
        case .workspace:
            let id = try one(
                // Among the workspaces live at the head (a deleted one never comes back, so it is
                // live from its creation on).
                log,
                """
                SELECT h.workspace_id FROM access_history h JOIN workspaces w ON w.id = h.workspace_id
                WHERE w.status <> 'deleted' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1
                """, []
            ).int64(0)
            return try positions(log, head: head, firstSQL: "SELECT min(from_position) FROM workspace_history WHERE id = $1", id)
                .map { position in
                    let row = try one(
                        log,
                        """
                        SELECT owner || '/' || name,
                               (SELECT count(*) FROM access_history WHERE workspace_id = $1 AND from_position <= $2)
                               + (SELECT count(*) FROM acl_history WHERE workspace_id = $1 AND from_position <= $2)
                        FROM workspace_history
                        WHERE id = $1 AND from_position <= $2 AND (to_position IS NULL OR to_position > $2)
                          AND status <> 'deleted'
                        """, [id, position])
                    let reference = try row.string(0)
                    return Question(
                        subject: .workspace, name: reference, position: position, intervalsBefore: try row.int64(1)
                    ) {
                        // The ACL entries, the members each group entry counts, and the access rows.
                        let (status, _) = try log.ledger.sharingStatus(reference, at: .position(position))
                        return status.users.count + status.groups.reduce(0) { $0 + 1 + $1.memberCount }
                            + status.access.count
                    }
                }
        case .user:
            let key = try one(
                log, "SELECT user_key FROM access_history GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1", []
            ).string(0)
            return try searches(
                .user, key, "has_access:\(key)", in: log,
                firstSQL: "SELECT min(from_position) FROM user_history WHERE key = $1",
                beforeSQL: "SELECT count(*) FROM access_history WHERE user_key = $1 AND from_position <= $2")
        case .group:
            let key = try one(
                log,
                """
                SELECT t.key FROM (
                    SELECT group_key AS key FROM member_history UNION ALL SELECT key FROM acl_history WHERE kind = 'group'
                ) t JOIN groups g ON g.key = t.key AND NOT g.is_deleted
                GROUP BY t.key ORDER BY count(*) DESC, t.key LIMIT 1
                """, []
            ).string(0)
            return try searches(
                .group, key, "shared_with_group:\(key)", in: log,
                firstSQL: "SELECT min(from_position) FROM group_history WHERE key = $1",
                beforeSQL: "SELECT count(*) FROM acl_history WHERE kind = 'group' AND key = $1 AND from_position <= $2")
        }
    }

    /// `list --search search --at-position P` about `key` at the three positions; `firstSQL`
    /// gives the key's first position, `beforeSQL` its intervals beginning at or before P.
    private func searches(
        _ subject: Subject, _ key: String, _ search: String, in log: AsOfLog, firstSQL: String, beforeSQL: String
    ) throws -> [Question] {
        try positions(log, head: log.events, firstSQL: firstSQL, key).map { position in
            let before = try one(log, beforeSQL, [key, position]).int64(0)
            return Question(subject: subject, name: key, position: position, intervalsBefore: before) {
                try log.ledger.listWorkspaces(search: search, at: .position(position)).0.count
            }
        }
    }

    /// A tenth of the log, half of it and its head; none before the subject existed.
    private func positions(_ log: AsOfLog, head: Int64, firstSQL: String, _ key: any PostgresBindable) throws -> [Int64] {
        let first = try one(log, firstSQL, [key]).int64(0)
        return [head / 10, head / 2, head].map { max($0, first) }
    }

    private func one(_ log: AsOfLog, _ sql: String, _ parameters: [any PostgresBindable]) throws -> Row {
        guard let row = try log.owner.query(sql, parameters).first else { throw BenchError("as_of: no row for \(sql)") }
        return row
    }

    /// Asks `question` once, recording its statements, and sums the shared buffers each touched
    /// under `EXPLAIN (ANALYZE, BUFFERS)`. Returns the buffers, the statements and the answer's
    /// rows.
    func cost(of question: Question, in log: AsOfLog) throws -> (buffers: Int, statements: Int, rows: Int) {
        final class Recorder {
            var statements: [Statement] = []
        }
        let recorder = Recorder()
        log.ledger.connection.statementObserver = { recorder.statements.append($0) }
        defer { log.ledger.connection.statementObserver = nil }
        let rows = try question.ask()
        let queries = recorder.statements.filter { statement in
            let verb = statement.sql.drop { $0 == " " || $0 == "\n" }.prefix(6).uppercased()
            return verb.hasPrefix("SELECT") || verb.hasPrefix("WITH")
        }
        var buffers = 0
        for statement in queries {
            let plan = try log.owner.query(
                "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) " + statement.sql, statement.parameters)
            buffers += try Self.topNodeBuffers(plan.rows.map { try $0.string(0) })
        }
        return (buffers, queries.count, rows)
    }

    /// The shared buffers (hit + read) of the top plan node in a text `EXPLAIN (ANALYZE,
    /// BUFFERS)`: its first `Buffers:` line, which counts its children too (local and temporary
    /// buffers are not counted); 0 when it touched none.
    static func topNodeBuffers(_ lines: [String]) -> Int {
        for line in lines {
            let text = line.drop { $0 == " " }
            if text.hasPrefix("Planning") { break }
            guard text.hasPrefix("Buffers:") else { continue }
            var total = 0
            let shared = text.split(separator: ",").first { $0.contains("shared ") } ?? ""
            for part in shared.split(separator: " ") {
                for prefix in ["hit=", "read="] where part.hasPrefix(prefix) {
                    total += Int(part.dropFirst(prefix.count)) ?? 0
                }
            }
            return total
        }
        return 0
    }
}
