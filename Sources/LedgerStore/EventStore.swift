import AccessModel
import PostgresClient

/// The last event of the log, and the database clock, read under the append lock.
public struct AppendContext: Sendable, Equatable {
    /// Position of the last event (0 for an empty log).
    public var position: Int64
    /// Hash of the last event (32 zero bytes for an empty log).
    public var hash: [UInt8]
    /// `occurred_at` of the last event.
    public var lastOccurredAt: Timestamp?
    /// The database's clock when the lock was taken: `recorded_at` of the events appended now.
    public var now: Timestamp
}

extension AppendContext {
    /// Chains `event` after the head: the next position, the stream's next version (`versions`
    /// holds each stream's current one, 0 when absent, and is advanced), the head's hash as its
    /// `previous_hash`, and its own hash; the head becomes this event. The one place events are
    /// chained, for appends and imports alike.
    public mutating func chain(
        _ event: NewEvent, actor: String, reason: String?, token: String? = nil, at occurredAt: Timestamp,
        versions: inout [String: Int64]
    ) -> RecordedEvent {
        let version = versions[event.stream, default: 0] + 1
        versions[event.stream] = version
        var record = RecordedEvent(
            position: position + 1, stream: event.stream, streamVersion: version, type: event.type, data: event.data,
            actor: actor, reason: reason, token: token, occurredAt: occurredAt, recordedAt: now,
            previousHash: hash, hash: [])
        record.hash = EventHasher.expectedHash(of: record)
        position = record.position
        hash = record.hash
        lastOccurredAt = occurredAt
        return record
    }
}

/// The hash-chained event log in PostgreSQL (`ledger_events`).
///
/// Appending happens inside a transaction in two steps: ``lockForAppend()`` serialises writers
/// on a transaction-scoped advisory lock and reads the head; ``append(_:metadata:context:)``
/// gives the events the next positions, chains their hashes and inserts them. The lock is
/// released at commit or rollback, so a failed command leaves neither events nor a gap.
public struct EventStore {
    /// Advisory lock key serialising appenders ("alAPPEND").
    public static let appendLockKey: Int64 = 0x616c_4150_5045_4e44

    /// The columns of ``RecordedEvent``, in the order ``decode(_:)`` reads them.
    static let columns = """
        position, stream, stream_version, type, data::text, actor, reason,
        (extract(epoch FROM occurred_at) * 1000000)::bigint,
        (extract(epoch FROM recorded_at) * 1000000)::bigint, previous_hash, hash, token
        """

    /// The columns an event is written with, in the order ``insertStatements(_:)`` and the
    /// importer's COPY (``copy(_:to:)``) give them.
    static let writtenColumns =
        "position, stream, stream_version, type, data, actor, reason, occurred_at, recorded_at, previous_hash, hash, token"

    /// Encodes one event as a binary COPY row of ``writtenColumns``.
    static func copy(_ record: RecordedEvent, to rows: inout BinaryCopyRows) {
        rows.beginRow(fields: 12)
        rows.int64(record.position)
        rows.text(record.stream)
        rows.int64(record.streamVersion)
        rows.text(record.type)
        rows.jsonb(record.data.canonicalString)
        rows.text(record.actor)
        rows.text(record.reason)
        rows.timestamp(unixMicroseconds: record.occurredAt.microseconds)
        rows.timestamp(unixMicroseconds: record.recordedAt.microseconds)
        rows.bytea(record.previousHash)
        rows.bytea(record.hash)
        rows.text(record.token)
    }

    public let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    // MARK: Appending

    /// Serialises this transaction against every other appender and reads the head of the log.
    /// - Throws: ``LedgerError/verificationFailed(_:)`` when the projections are ahead of the log
    ///   (events were removed from its end): appending would reuse their positions.
    ///
    /// Call inside ``Connection/transaction(maxAttempts:isolation:_:)`` (READ COMMITTED), before
    /// reading any state the command's rules depend on.
    public func lockForAppend() throws -> AppendContext { try lockForAppend(then: []).context }

    /// ``lockForAppend()``, then `reads` in the same round trip (after the lock is held, so they
    /// see every committed append); returns their results too.
    public func lockForAppend(then reads: [Statement]) throws -> (context: AppendContext, results: [QueryResult]) {
        precondition(connection.inTransaction, "lockForAppend() must run inside a transaction")
        // Generic plans for the rest of the transaction: every statement of a command looks rows
        // up by key or writes a set of them given as arrays, and a custom plan (PostgreSQL's
        // choice when it sees `unnest($1)` of a short array against a generic estimate of 100
        // rows) is the same plan made again each time, at more server time than running it
        // (tools/bench, append). The third statement takes its snapshot after the lock is held.
        let results = try connection.pipeline(
            [
                Statement("SET LOCAL plan_cache_mode = force_generic_plan"),
                Statement("SELECT pg_advisory_xact_lock($1)", [EventStore.appendLockKey]),
                Statement(
                    """
                    SELECT h.position, h.hash, (extract(epoch FROM h.occurred_at) * 1000000)::bigint,
                           (extract(epoch FROM c.now) * 1000000)::bigint,
                           (SELECT position FROM projection_state)
                    FROM (SELECT clock_timestamp() AS now) c
                    LEFT JOIN LATERAL (
                        SELECT position, hash, occurred_at FROM ledger_events ORDER BY position DESC LIMIT 1
                    ) h ON true
                    """),
            ] + reads)
        return (try EventStore.context(results[2]), Array(results.dropFirst(3)))
    }

    static func context(_ head: QueryResult) throws -> AppendContext {
        guard let row = head.first else { throw LedgerError.internal("could not read the head of the log") }
        let now = Timestamp(microseconds: try row.int64(3))
        let head = try row.optionalInt64(0) ?? 0
        if let projected = try row.optionalInt64(4), projected > head {
            throw LedgerError.verificationFailed(
                "the projections are at position \(projected) but the log ends at position \(head): events were "
                    + "removed from the end of the log, so nothing is appended (run `accessledger verify`)")
        }
        guard let position = try row.optionalInt64(0) else {
            return AppendContext(position: 0, hash: EventHasher.genesis, lastOccurredAt: nil, now: now)
        }
        return AppendContext(
            position: position, hash: try row.bytes(1),
            lastOccurredAt: Timestamp(microseconds: try row.int64(2)), now: now)
    }

    /// The time the next events will carry: `requested` if given and valid, else now.
    ///
    /// - Throws: ``LedgerError/invalidInput(_:)`` when `requested` is earlier than the last
    ///   event's time or later than now.
    ///   `field` names the value in messages (`--occurred-at`, or an import line's `occurred_at`).
    public static func occurredAt(
        requested: Timestamp?, context: AppendContext, field: String = "--occurred-at"
    ) throws -> Timestamp {
        if let requested {
            if let last = context.lastOccurredAt, requested < last {
                throw LedgerError.invalidInput(
                    "\(field) \(requested.rfc3339) is earlier than the last event's time \(last.rfc3339); "
                        + "the log's times never go backwards")
            }
            if requested > context.now {
                throw LedgerError.invalidInput(
                    "\(field) \(requested.rfc3339) is in the future (now is \(context.now.rfc3339))")
            }
            return requested
        }
        // Guard against a clock that stepped back: never earlier than the last event.
        if let last = context.lastOccurredAt, context.now < last { return last }
        return context.now
    }

    /// Appends `events` after the head in `context`, all with the same metadata, and advances
    /// `context`. Must follow ``lockForAppend()`` in the same transaction.
    /// - Parameter expectedVersions: optional optimistic check, stream → the version it must be at
    ///   now (0 for a new stream).
    /// - Returns: the events as recorded.
    /// - Throws: ``LedgerError/conflict(_:)`` when a stream is not at its expected version;
    ///   ``LedgerError/invalidInput(_:)`` for a bad `occurredAt`.
    @discardableResult
    public func append(
        _ events: [NewEvent], metadata: EventMetadata, context: inout AppendContext,
        expectedVersions: [String: Int64] = [:]
    ) throws -> [RecordedEvent] {
        let recorded = try chain(events, metadata: metadata, context: &context, expectedVersions: expectedVersions)
        for statement in EventStore.insertStatements(recorded) {
            try EventStore.mapConflicts { _ = try connection.query(statement.sql, statement.parameters) }
        }
        return recorded
    }

    /// Gives `events` the positions after the head in `context`, their stream versions and
    /// chained hashes, and advances `context`; nothing is written (``insertStatements(_:)``
    /// writes them). Reads the streams' versions (one round trip).
    /// - Throws: as ``append(_:metadata:context:expectedVersions:)``.
    /// - Parameter knownVersions: versions already read under the lock (``streamVersionsStatement(_:)``),
    ///   0 for a stream without events; only the other streams are read.
    public func chain(
        _ events: [NewEvent], metadata: EventMetadata, context: inout AppendContext,
        expectedVersions: [String: Int64] = [:], knownVersions: [String: Int64] = [:]
    ) throws -> [RecordedEvent] {
        guard !events.isEmpty else { return [] }
        let occurredAt = try EventStore.occurredAt(requested: metadata.occurredAt, context: context)
        var versions = knownVersions
        let unknown = Set(events.map(\.stream)).subtracting(knownVersions.keys).sorted()
        if !unknown.isEmpty { versions.merge(try streamVersions(unknown)) { _, read in read } }
        for (stream, expected) in expectedVersions where versions[stream, default: 0] != expected {
            throw LedgerError.conflict(
                "stream \(stream) is at version \(versions[stream, default: 0]), expected \(expected)")
        }
        return events.map {
            context.chain($0, actor: metadata.actor, reason: metadata.reason, token: metadata.token, at: occurredAt, versions: &versions)
        }
    }

    /// Translates a unique violation (another writer took the position or stream version) into
    /// ``LedgerError/conflict(_:)``.
    static func mapConflicts<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as PostgresError where error.isUniqueViolation {
            throw LedgerError.conflict("a concurrent append took the same position or stream version: \(error)")
        }
    }

    /// Current version of each stream (0 for a stream without events).
    func streamVersions(_ streams: [String]) throws -> [String: Int64] {
        let statement = EventStore.streamVersionsStatement(streams)
        return try EventStore.streamVersions(try connection.query(statement.sql, statement.parameters).rows)
    }

    /// Reads the current version of each stream of `streams` (each through the unique index's
    /// last entry), and of the stream of the live workspace `OWNER/NAME` if `workspace` names one.
    static func streamVersionsStatement(_ streams: [String], workspace: WorkspaceReference? = nil) -> Statement {
        Statement(
            """
            SELECT s, coalesce((SELECT max(stream_version) FROM ledger_events WHERE stream = s), 0)
            FROM unnest($1::text[] || ARRAY(SELECT 'workspace:' || id FROM workspaces
                                             WHERE owner_key = $2 AND name_key = $3 AND status <> 'deleted')) s
            """, [streams, workspace?.owner.key, workspace?.name.key])
    }

    /// The versions a ``streamVersionsStatement(_:workspace:)`` read.
    static func streamVersions(_ rows: [Row]) throws -> [String: Int64] {
        var versions: [String: Int64] = [:]
        for row in rows { versions[try row.string(0)] = try row.int64(1) }
        return versions
    }

    /// The statements inserting chained events: set-based `INSERT`s of up to 1,000 events each.
    static func insertStatements(_ events: [RecordedEvent]) -> [Statement] {
        stride(from: 0, to: events.count, by: 1_000).map { start in
            let chunk = events[start..<min(start + 1_000, events.count)]
            func column(_ value: (RecordedEvent) -> String?) -> NullableTextArray { NullableTextArray(chunk.map(value)) }
            return Statement(
                """
                INSERT INTO ledger_events (\(writtenColumns))
                SELECT r.p::bigint, r.s, r.v::bigint, r.t, r.d::jsonb, r.a, r.rs, r.o::timestamptz, r.c::timestamptz,
                       r.ph::bytea, r.h::bytea, r.k
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                            $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
                     AS r(p, s, v, t, d, a, rs, o, c, ph, h, k)
                ORDER BY r.p::bigint
                """,
                [
                    column { String($0.position) }, column(\.stream), column { String($0.streamVersion) },
                    column(\.type), column(\.data.canonicalString), column(\.actor), column(\.reason),
                    column(\.occurredAt.canonical), column(\.recordedAt.canonical),
                    column { ByteA($0.previousHash).postgresText }, column { ByteA($0.hash).postgresText },
                    column(\.token),
                ])
        }
    }

    // MARK: Reading

    /// The last event's position and hash (`nil` for an empty log).
    public func head() throws -> (position: Int64, hash: [UInt8])? {
        guard
            let row = try connection.query("SELECT position, hash FROM ledger_events ORDER BY position DESC LIMIT 1")
                .first
        else { return nil }
        return (try row.int64(0), try row.bytes(1))
    }

    /// Events with `from <= position <= through`, in order, all in memory (for small ranges).
    public func events(from: Int64 = 1, through: Int64 = .max) throws -> [RecordedEvent] {
        try connection.query(
            "SELECT \(EventStore.columns) FROM ledger_events WHERE position BETWEEN $1 AND $2 ORDER BY position",
            [from, through]
        ).rows.map(EventStore.decode)
    }

    /// Streams every event from `from` on, in position order, in constant memory.
    public func forEachEvent(from: Int64 = 1, through: Int64 = .max, _ body: (RecordedEvent) throws -> Void) throws {
        try connection.stream(
            "SELECT \(EventStore.columns) FROM ledger_events WHERE position BETWEEN $1 AND $2 ORDER BY position",
            [from, through]
        ) { row in try body(try EventStore.decode(row)) }
    }

    /// Builds a ``RecordedEvent`` from a row of ``columns``.
    public static func decode(_ row: Row) throws -> RecordedEvent {
        let dataText = try row.string(4)
        let data: JSONValue
        do { data = try JSONValue.parse(dataText) } catch {
            throw UnreadableEvent.payload(position: try row.int64(0), error)
        }
        return RecordedEvent(
            position: try row.int64(0), stream: try row.string(1), streamVersion: try row.int64(2),
            type: try row.string(3), data: data, actor: try row.string(5), reason: row[6], token: row[11],
            occurredAt: Timestamp(microseconds: try row.int64(7)),
            recordedAt: Timestamp(microseconds: try row.int64(8)),
            previousHash: try row.bytes(9), hash: try row.bytes(10))
    }
}

/// An event of the log that accessledger cannot have written: its stored `data` is not JSON of
/// the form the ledger writes (integers only), or not a payload of its type.
///
/// Every event is hashed in the form it was written, so such an event was altered after it was
/// appended (or inserted by something other than accessledger). `verify` reports it as a
/// verification failure at its position (exit 5), like any other edit.
public struct UnreadableEvent: Error, Sendable, Equatable, CustomStringConvertible {
    /// The event's position.
    public var position: Int64
    /// What is wrong with it.
    public var problem: String

    public init(position: Int64, problem: String) {
        self.position = position
        self.problem = problem
    }

    /// The event at `position`, whose `data` did not parse (`error`).
    static func payload(position: Int64, _ error: any Error) -> UnreadableEvent {
        UnreadableEvent(position: position, problem: "its data is not a payload accessledger writes (\(error))")
    }

    public var description: String {
        "event \(position) cannot be read: \(problem); it was changed after it was appended "
            + "(run `accessledger verify`)"
    }
}
