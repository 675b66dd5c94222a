import AccessModel
import PostgresClient

/// One command of an imported history, with who did it, why, and when.
public struct ImportItem: Sendable {
    public var command: Command
    public var actor: String?
    public var reason: String?
    public var occurredAt: Timestamp

    public init(command: Command, actor: String?, reason: String? = nil, occurredAt: Timestamp) {
        self.command = command
        self.actor = actor
        self.reason = reason
        self.occurredAt = occurredAt
    }
}

/// What ``Importer/run(_:)`` did.
public struct ImportReport: Sendable, Equatable {
    public var accepted: Int
    public var refused: Int
    public var events: Int64
}

/// Bulk import of a history (backfills, migrations from another system, benchmarks): each
/// command is decided by the same ``Rules`` against the state in memory, its events are chained
/// and loaded with COPY in one transaction holding the append lock. Refused commands are
/// counted and skipped, exactly as they would append nothing one by one. Afterwards the
/// projections are rebuilt with ``Replay`` (call ``Replay/run(progress:)``), so they are exactly
/// what the log gives.
public struct Importer {
    public let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    /// Imports `items` after the current head. Each item's time must not be earlier than the
    /// previous one's (nor than the log's last event), or the import stops with exit 2.
    public func run(_ items: some Sequence<ImportItem>, batchSize: Int = 20_000) throws -> ImportReport {
        try Ledger.mapErrors {
            try connection.transaction { tx in
                let store = EventStore(connection: tx)
                var context = try store.lockForAppend()
                // The state as of the current head, from the log itself.
                let state = InMemoryLedger(recordingAccessChanges: false)
                try store.forEachEvent(through: context.position) { try Projection.apply($0, to: state) }
                var versions: [String: Int64] = [:]
                for row in try tx.query("SELECT stream, max(stream_version) FROM ledger_events GROUP BY stream").rows {
                    versions[try row.string(0)] = try row.int64(1)
                }
                var report = ImportReport(accepted: 0, refused: 0, events: 0)
                var batch: [[String?]] = []
                func flush() throws {
                    guard !batch.isEmpty else { return }
                    try tx.copyIn(
                        """
                        COPY ledger_events (position, stream, stream_version, type, data, actor, reason, occurred_at,
                                            recorded_at, previous_hash, hash) FROM STDIN
                        """, rows: batch)
                    batch.removeAll(keepingCapacity: true)
                }
                for item in items {
                    let occurredAt = try EventStore.occurredAt(requested: item.occurredAt, context: context)
                    let decision: Decision
                    do { decision = try Rules.decide(item.command, actor: item.actor, reader: state) } catch is Refusal
                    {
                        report.refused += 1
                        continue
                    }
                    report.accepted += 1
                    for event in decision.events {
                        let new = event.newEvent
                        let version = versions[new.stream, default: 0] + 1
                        versions[new.stream] = version
                        var record = RecordedEvent(
                            position: context.position + 1, stream: new.stream, streamVersion: version, type: new.type,
                            data: new.data, actor: decision.actor, reason: item.reason, occurredAt: occurredAt,
                            recordedAt: context.now, previousHash: context.hash, hash: [])
                        record.hash = EventHasher.expectedHash(of: record)
                        try Projection.apply(event, position: record.position, occurredAt: occurredAt, to: state)
                        batch.append([
                            String(record.position), record.stream, String(version), record.type,
                            record.data.canonicalString, record.actor, record.reason, occurredAt.canonical,
                            context.now.canonical, ByteA(record.previousHash).postgresText,
                            ByteA(record.hash).postgresText,
                        ])
                        context.position = record.position
                        context.hash = record.hash
                        context.lastOccurredAt = occurredAt
                        report.events += 1
                    }
                    if batch.count >= batchSize { try flush() }
                }
                try flush()
                return report
            }
        }
    }
}
