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
    /// log order.
    /// - Throws: ``LedgerError/invalidInput(_:)`` for a malformed or unknown workspace or user.
    public func intervals(of subject: Subject, since: Timestamp? = nil, until: Timestamp? = nil) throws
        -> [AccessInterval]
    {
        try Ledger.mapErrors {
            var parameters: [any PostgresBindable] = []
            let subjectCondition: String
            switch subject {
            case .workspace(let reference):
                parameters.append(try workspaceID(reference))
                subjectCondition = "h.workspace_id = $1"
            case .user(let username):
                parameters.append(try Ledger.resolveUser(username, in: PostgresLedger(connection: connection)).key)
                subjectCondition = "h.user_key = $1"
            }
            var conditions = [subjectCondition]
            if let since {
                parameters.append(since.canonical)
                conditions.append("(h.to_time IS NULL OR h.to_time >= $\(parameters.count)::timestamptz)")
            }
            if let until {
                parameters.append(until.canonical)
                conditions.append("h.from_time <= $\(parameters.count)::timestamptz")
            }
            let rows = try connection.query(
                """
                SELECT w.owner || '/' || w.name, h.username, h.role, h.live_role, h.state, h.via,
                       h.from_position, (extract(epoch FROM h.from_time) * 1000000)::bigint,
                       h.to_position, (extract(epoch FROM h.to_time) * 1000000)::bigint,
                       s.actor, s.type, s.reason, e.actor, e.type, e.reason
                FROM access_history h
                JOIN workspaces w ON w.id = h.workspace_id
                JOIN ledger_events s ON s.position = h.from_position
                LEFT JOIN ledger_events e ON e.position = h.to_position
                WHERE \(conditions.joined(separator: " AND "))
                ORDER BY h.from_position, h.workspace_id, h.user_key
                """, parameters)
            return try rows.rows.map { row in
                AccessInterval(
                    workspace: try row.string(0), username: try row.string(1),
                    role: try PostgresLedger.optionalRole(row, 2), liveRole: try PostgresLedger.optionalRole(row, 3),
                    state: try PostgresLedger.enumValue(row, 4, as: AccessState.self),
                    via: PostgresLedger.textArray(try row.string(5)),
                    from: AsOf(position: try row.int64(6), time: Timestamp(microseconds: try row.int64(7))),
                    to: try row.optionalInt64(8).map { position in
                        AsOf(position: position, time: try row.optionalInt64(9).map(Timestamp.init(microseconds:)))
                    },
                    startedBy: AccessInterval.Cause(
                        actor: try row.string(10), type: try row.string(11), reason: row[12]),
                    endedBy: try row[13].map { actor in
                        AccessInterval.Cause(actor: actor, type: try row.string(14), reason: row[15])
                    })
            }
        }
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
        guard let row else { throw LedgerError.invalidInput("unknown workspace \"\(reference)\"") }
        return try row.int64(0)
    }
}
