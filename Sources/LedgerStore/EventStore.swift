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

    public let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    // MARK: Appending

    /// Serialises this transaction against every other appender and reads the head of the log.
    /// - Throws: ``LedgerError/verificationFailed(_:)`` when the projections are ahead of the log
    ///   (events were removed from its end): appending would reuse their positions.
    ///
    /// Call inside ``Connection/transaction(maxAttempts:isolation:_:)`` (READ COMMITTED), before
    /// reading any state the command's rules depend on.
    public func lockForAppend() throws -> AppendContext {
        precondition(connection.inTransaction, "lockForAppend() must run inside a transaction")
        // Two statements in one round trip; the second takes its snapshot after the lock is held.
        let results = try connection.pipeline([
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
        ])
        guard let row = results[1].first else { throw LedgerError.internal("could not read the head of the log") }
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
        guard !events.isEmpty else { return [] }
        let occurredAt = try EventStore.occurredAt(requested: metadata.occurredAt, context: context)
        var versions = try streamVersions(Set(events.map(\.stream)).sorted())
        for (stream, expected) in expectedVersions where versions[stream, default: 0] != expected {
            throw LedgerError.conflict(
                "stream \(stream) is at version \(versions[stream, default: 0]), expected \(expected)")
        }
        var recorded: [RecordedEvent] = []
        recorded.reserveCapacity(events.count)
        var previousHash = context.hash
        var position = context.position
        for event in events {
            position += 1
            let version = versions[event.stream, default: 0] + 1
            versions[event.stream] = version
            var record = RecordedEvent(
                position: position, stream: event.stream, streamVersion: version, type: event.type, data: event.data,
                actor: metadata.actor, reason: metadata.reason, token: metadata.token, occurredAt: occurredAt,
                recordedAt: context.now,
                previousHash: previousHash, hash: [])
            record.hash = EventHasher.expectedHash(of: record)
            previousHash = record.hash
            recorded.append(record)
        }
        try insert(recorded)
        context.position = position
        context.hash = previousHash
        context.lastOccurredAt = occurredAt
        return recorded
    }

    /// Current version of each stream (absent streams are not in the result).
    func streamVersions(_ streams: [String]) throws -> [String: Int64] {
        let result = try connection.query(
            "SELECT stream, max(stream_version) FROM ledger_events WHERE stream = ANY($1::text[]) GROUP BY stream",
            [streams])
        var versions: [String: Int64] = [:]
        for row in result.rows { versions[try row.string(0)] = try row.int64(1) }
        return versions
    }

    /// Inserts chained rows with multi-row INSERTs (one round trip per 1,000 events).
    func insert(_ events: [RecordedEvent]) throws {
        let columnsPerRow = 12
        for chunkStart in stride(from: 0, to: events.count, by: 1_000) {
            let chunk = events[chunkStart..<min(chunkStart + 1_000, events.count)]
            var placeholders: [String] = []
            var parameters: [any PostgresBindable] = []
            parameters.reserveCapacity(chunk.count * columnsPerRow)
            for (index, event) in chunk.enumerated() {
                let base = index * columnsPerRow
                placeholders.append(
                    "($\(base + 1), $\(base + 2), $\(base + 3), $\(base + 4), $\(base + 5)::jsonb, $\(base + 6), "
                        + "$\(base + 7), $\(base + 8)::timestamptz, $\(base + 9)::timestamptz, $\(base + 10)::bytea, "
                        + "$\(base + 11)::bytea, $\(base + 12))")
                parameters +=
                    [
                        event.position, event.stream, event.streamVersion, event.type,
                        PostgresText(event.data.canonicalString), event.actor, event.reason, event.occurredAt.canonical,
                        event.recordedAt.canonical, ByteA(event.previousHash), ByteA(event.hash), event.token,
                    ] as [any PostgresBindable]
            }
            do {
                try connection.query(
                    """
                    INSERT INTO ledger_events (position, stream, stream_version, type, data, actor, reason,
                                               occurred_at, recorded_at, previous_hash, hash, token)
                    VALUES \(placeholders.joined(separator: ", "))
                    """, parameters)
            } catch let error as PostgresError where error.isUniqueViolation {
                throw LedgerError.conflict("a concurrent append took the same position or stream version: \(error)")
            }
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
