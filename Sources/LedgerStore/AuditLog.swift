import AccessModel
import PostgresClient

/// Filters of `audit log` (SPEC §5). Every value is sent as a parameter.
public struct AuditFilter: Sendable, Equatable {
    public var actor: String?
    public var type: String?
    /// Inclusive.
    public var since: Timestamp?
    /// Inclusive.
    public var until: Timestamp?
    /// Only events on these streams (resolved from `--workspace` / `--user` by the caller).
    public var streams: [String]?

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
        if let since = filter.since { add({ "occurred_at >= $\($0)::timestamptz" }, since.canonical) }
        if let until = filter.until { add({ "occurred_at <= $\($0)::timestamptz" }, until.canonical) }
        if let streams = filter.streams { add({ "stream = ANY($\($0)::text[])" }, streams) }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        try connection.stream(
            "SELECT \(EventStore.columns) FROM ledger_events \(whereClause) ORDER BY position", parameters
        ) { row in try body(try EventStore.decode(row)) }
    }
}
