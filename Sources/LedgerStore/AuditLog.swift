import AccessModel
import PostgresClient

/// Filters of `audit log` (SPEC §5). Every value is sent as a parameter.
public struct AuditFilter: Sendable, Equatable {
    public var actor: String?
    public var type: String?
    /// Only events appended with this API token (`USER/TOKEN`, compared case-insensitively).
    public var token: String?
    /// Inclusive.
    public var since: Timestamp?
    /// Inclusive.
    public var until: Timestamp?
    /// Only events on these streams (resolved from `--workspace` / `--user` by the caller).
    public var streams: [String]?
    /// Only events about this user: their own stream, their tokens, and shares, unshares and
    /// membership changes naming them (resolved by ``Ledger/auditFilter(_:workspace:user:)``).
    public var subjectUser: (key: String, username: String)?

    public static func == (lhs: AuditFilter, rhs: AuditFilter) -> Bool {
        lhs.actor == rhs.actor && lhs.type == rhs.type && lhs.token?.lowercased() == rhs.token?.lowercased()
            && lhs.since == rhs.since && lhs.until == rhs.until
            && lhs.streams == rhs.streams && lhs.subjectUser?.key == rhs.subjectUser?.key
    }

    public init() {}
}

/// Reads the event log for `audit log`.
public struct AuditLog {
    public let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    /// Streams the matching events in position order, in constant memory.
    public func forEach(_ filter: AuditFilter, _ body: (RecordedEvent) throws -> Void) throws {
        var conditions: [String] = []
        var parameters: [any PostgresBindable] = []
        func add(_ condition: (Int) -> String, _ value: any PostgresBindable) {
            parameters.append(value)
            conditions.append(condition(parameters.count))
        }
        if let actor = filter.actor { add({ "lower(actor) = lower($\($0))" }, actor) }
        if let type = filter.type { add({ "type = $\($0)" }, type) }
        if let token = filter.token { add({ "lower(token) = lower($\($0))" }, token) }
        if let since = filter.since { add({ "occurred_at >= $\($0)::timestamptz" }, since.canonical) }
        if let until = filter.until { add({ "occurred_at <= $\($0)::timestamptz" }, until.canonical) }
        if let streams = filter.streams { add({ "stream = ANY($\($0)::text[])" }, streams) }
        if let user = filter.subjectUser {
            let name = JSONValue.string(user.username)
            let asEntry: JSONValue = ["users": [["username": name]]]
            let asName: JSONValue = ["users": [name]]
            let asMember: JSONValue = ["usernames": [name]]
            parameters +=
                [
                    "user:" + user.key, "token:" + user.key + "/", PostgresText(asEntry.canonicalString),
                    PostgresText(asName.canonicalString), PostgresText(asMember.canonicalString),
                ] as [any PostgresBindable]
            let n = parameters.count
            conditions.append(
                "(stream = $\(n - 4) OR starts_with(stream, $\(n - 3)) OR data @> $\(n - 2)::jsonb "
                    + "OR data @> $\(n - 1)::jsonb OR data @> $\(n)::jsonb)")
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        try connection.stream(
            "SELECT \(EventStore.columns) FROM ledger_events \(whereClause) ORDER BY position", parameters
        ) { row in try body(try EventStore.decode(row)) }
    }
}
