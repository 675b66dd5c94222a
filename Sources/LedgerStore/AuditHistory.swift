import AccessModel
import PostgresClient

/// One maximal period during which a user's (role, live_role, state, via) on a workspace stayed
/// the same (`audit history`, SPEC §5).
public struct AccessInterval: Sendable, Equatable {
    /// Who did what at an interval's boundary.
    public struct Cause: Sendable, Equatable {
        public var actor: String
        public var type: String
        public var reason: String?

        public init(actor: String, type: String, reason: String?) {
            self.actor = actor
            self.type = type
            self.reason = reason
        }
    }

    public var workspace: String
    public var username: String
    public var role: WorkspaceRole?
    public var liveRole: WorkspaceRole?
    public var state: AccessState
    public var via: [String]
    public var from: AsOf
    /// `nil` while the interval is current.
    public var to: AsOf?
    public var startedBy: Cause
    public var endedBy: Cause?

    public init(
        workspace: String, username: String, role: WorkspaceRole?, liveRole: WorkspaceRole?, state: AccessState,
        via: [String], from: AsOf, to: AsOf?, startedBy: Cause, endedBy: Cause?
    ) {
        self.workspace = workspace
        self.username = username
        self.role = role
        self.liveRole = liveRole
        self.state = state
        self.via = via
        self.from = from
        self.to = to
        self.startedBy = startedBy
        self.endedBy = endedBy
    }
}

/// Reads `access_history` for `audit history`.
public struct AuditHistory {
    public let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    /// Whose history to read.
    public enum Subject: Sendable, Equatable {
        /// `OWNER/NAME`: the workspace holding the name now, else the last one that held it.
        case workspace(String)
        case user(String)
    }

    /// The intervals of `subject` that overlap `[since, until]` (both inclusive, either open), in
    /// log order: the kept intervals of `access_history` cut by the workspaces' running and
    /// stopped spans (``AccessPeriods``), with the events that began and ended them.
    /// - Throws: ``LedgerError/invalidInput(_:)`` for a malformed or unknown workspace or user.
    public func intervals(of subject: Subject, since: Timestamp? = nil, until: Timestamp? = nil) throws
        -> [AccessInterval]
    {
        try Ledger.mapErrors {
            let kept = try keptIntervals(of: subject, since: since, until: until)
            let workspaceIDs = Set(kept.map(\.row.workspaceID)).sorted().map(String.init)
            let periods = AccessPeriods.periods(kept: kept, statuses: try statuses(workspaceIDs)).filter { period in
                (since.map { since in period.to.map { $0.time >= since } ?? true } ?? true)
                    && (until.map { period.from.time <= $0 } ?? true)
            }
            let names = Dictionary(
                uniqueKeysWithValues: try connection.query(
                    "SELECT id, owner || '/' || name FROM workspaces WHERE id = ANY($1::bigint[])", [workspaceIDs]
                ).rows.map { (try $0.int64(0), try $0.string(1)) })
            let positions = Set(periods.flatMap { [$0.from.position] + ($0.to.map { [$0.position] } ?? []) })
            let causes = Dictionary(
                uniqueKeysWithValues: try connection.query(
                    "SELECT position, actor, type, reason FROM ledger_events WHERE position = ANY($1::bigint[])",
                    [positions.sorted().map(String.init)]
                ).rows.map {
                    (
                        try $0.int64(0),
                        AccessInterval.Cause(actor: try $0.string(1), type: try $0.string(2), reason: $0[3])
                    )
                })
            return try periods.map { period in
                guard let startedBy = causes[period.from.position] else {
                    throw LedgerError.internal("no event at position \(period.from.position)")
                }
                return AccessInterval(
                    workspace: names[period.row.workspaceID] ?? String(period.row.workspaceID),
                    username: period.row.username, role: period.row.role, liveRole: period.row.liveRole,
                    state: period.row.state, via: period.row.via,
                    from: AsOf(position: period.from.position, time: period.from.time),
                    to: period.to.map { AsOf(position: $0.position, time: $0.time) }, startedBy: startedBy,
                    endedBy: period.to.flatMap { causes[$0.position] })
            }
        }
    }

    /// The kept intervals of the subject's access rows that may overlap `[since, until]`.
    func keptIntervals(of subject: Subject, since: Timestamp?, until: Timestamp?) throws -> [AccessPeriods.Period] {
        var parameters: [any PostgresBindable] = []
        let subjectCondition: String
        switch subject {
        case .workspace(let reference):
            parameters.append(try workspaceID(reference))
            subjectCondition = "h.workspace_id = $1"
        case .user(let username):
            parameters.append(try Ledger.resolveUser(username, in: PostgresLedger(connection: connection)).key)
            subjectCondition = HistoricalLedger.textKey("h.user_key", "$1")
        }
        var conditions = [subjectCondition]
        // The period as positions, for the GiST index of interval spans: the intervals that may
        // overlap it are those whose span meets [first event at or after `since`, last event at
        // or before `until`] (times never decrease along the log). The times themselves are
        // then tested exactly.
        var low = "0"
        var high = "(SELECT coalesce(max(position), 0) FROM ledger_events)"
        if let since {
            parameters.append(since.canonical)
            let placeholder = "$\(parameters.count)::timestamptz"
            conditions.append("(h.to_time IS NULL OR h.to_time >= \(placeholder))")
            low = """
                coalesce((SELECT min(e.position) FROM ledger_events e WHERE e.occurred_at =
                    (SELECT occurred_at FROM ledger_events WHERE occurred_at >= \(placeholder) ORDER BY occurred_at LIMIT 1)),
                  \(high) + 1) - 1
                """
        }
        if let until {
            parameters.append(until.canonical)
            let placeholder = "$\(parameters.count)::timestamptz"
            conditions.append("h.from_time <= \(placeholder)")
            high = """
                coalesce((SELECT max(e.position) FROM ledger_events e WHERE e.occurred_at =
                    (SELECT occurred_at FROM ledger_events WHERE occurred_at <= \(placeholder) ORDER BY occurred_at DESC LIMIT 1)),
                  0)
                """
        }
        if since != nil || until != nil {
            conditions.append(
                """
                int8range(h.from_position, h.to_position) &&
                  (SELECT int8range(least(low, high), greatest(low, high), '[]') FROM (SELECT \(low) AS low, \(high) AS high) b)
                """)
        }
        let rows = try connection.query(
            """
            SELECT h.workspace_id, h.username, h.role, h.held_role, h.via, \(Self.intervalColumns)
            FROM access_history h
            WHERE \(conditions.joined(separator: " AND "))
            """, parameters)
        return try rows.rows.map { row in
            let (from, to) = try Self.interval(row, at: 5)
            return AccessPeriods.Period(
                row: AccessRow(
                    workspaceID: try row.int64(0), username: try row.string(1),
                    role: try PostgresLedger.optionalRole(row, 2), heldRole: try PostgresLedger.optionalRole(row, 3),
                    via: PostgresLedger.textArray(try row.string(4)), running: true),
                from: from, to: to)
        }
    }

    /// Every interval of these workspaces' records: whether each was running, and when.
    func statuses(_ workspaceIDs: [String]) throws -> [Int64: [AccessPeriods.Status]] {
        var statuses: [Int64: [AccessPeriods.Status]] = [:]
        for row in try connection.query(
            """
            SELECT h.id, h.status = 'running', \(Self.intervalColumns)
            FROM workspace_history h WHERE h.id = ANY($1::bigint[])
            """, [workspaceIDs]
        ).rows {
            let (from, to) = try Self.interval(row, at: 2)
            statuses[try row.int64(0), default: []].append(
                AccessPeriods.Status(running: try row.bool(1), from: from, to: to))
        }
        return statuses
    }

    static let intervalColumns = """
        h.from_position, (extract(epoch FROM h.from_time) * 1000000)::bigint,
        h.to_position, (extract(epoch FROM h.to_time) * 1000000)::bigint
        """

    /// The interval in the four columns from `index` (``intervalColumns``).
    static func interval(_ row: Row, at index: Int) throws -> (AccessPeriods.Point, AccessPeriods.Point?) {
        let from = AccessPeriods.Point(
            position: try row.int64(index), time: Timestamp(microseconds: try row.int64(index + 1)))
        let to = try row.optionalInt64(index + 2).map { position in
            AccessPeriods.Point(position: position, time: Timestamp(microseconds: try row.int64(index + 3)))
        }
        return (from, to)
    }

    /// The workspace holding `reference` now, else the last workspace that held it.
    func workspaceID(_ reference: String) throws -> Int64 {
        let parsed = try WorkspaceReference(parsing: reference)
        let row = try connection.query(
            """
            SELECT id FROM workspace_history
            WHERE owner_key = $1 AND name_key = $2 AND status <> 'deleted'
            ORDER BY (to_position IS NULL) DESC, from_position DESC LIMIT 1
            """, [parsed.owner.key, parsed.name.key]
        ).first
        guard let row else { throw LedgerError.invalidInput("unknown workspace \(DisplayText.quoted(reference))") }
        return try row.int64(0)
    }
}
