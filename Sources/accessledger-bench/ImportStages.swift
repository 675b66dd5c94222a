import AccessModel
import LedgerStore
import PostgresClient

/// The two halves of a bulk import on their own, to show what bounds it: deciding, projecting
/// and chaining in memory (what ``Importer`` does before its COPY), and the COPY into
/// `ledger_events` itself, whose trigger re-checks the chain row by row.
enum ImportStages {
    /// Decides every command against an in-memory state, applies its events, hashes them and
    /// renders their COPY rows, as the importer does, without a database. Returns the events.
    static func decideInMemory(_ history: GeneratedHistory) throws -> Int {
        let state = InternedLedger()
        var versions: [String: Int64] = [:]
        var previousHash = EventHasher.genesis
        var position: Int64 = 0
        let now = Timestamp(microseconds: 1_900_000_000_000_000)
        var renderedFields = 0  // kept, so that rendering the rows is not optimised away
        for item in history.items {
            guard let decision = try? Rules.decide(item.command, actor: item.actor, reader: state) else { continue }
            for event in decision.events {
                let new = event.newEvent
                let version = versions[new.stream, default: 0] + 1
                versions[new.stream] = version
                position += 1
                var record = RecordedEvent(
                    position: position, stream: new.stream, streamVersion: version, type: new.type, data: new.data,
                    actor: decision.actor, reason: item.reason, occurredAt: item.occurredAt, recordedAt: now,
                    previousHash: previousHash, hash: [])
                record.hash = EventHasher.expectedHash(of: record)
                try Projection.apply(event, position: position, occurredAt: item.occurredAt, to: state)
                let row: [String?] = [
                    String(position), new.stream, String(version), new.type, new.data.canonicalString, decision.actor,
                    item.reason, item.occurredAt.canonical, now.canonical, ByteA(previousHash).postgresText,
                    ByteA(record.hash).postgresText,
                ]
                renderedFields += row.count
                previousHash = record.hash
            }
        }
        return renderedFields > 0 ? Int(position) : 0
    }

    /// COPYs `rows` (the log of another ledger, in order) into the empty `ledger_events` of
    /// `connection`'s database, with `recorded_at` set to this transaction's time as the trigger
    /// demands. Returns the seconds the COPY took.
    static func copyThroughChainTrigger(_ rows: [[String?]], into connection: Connection) throws -> Double {
        try connection.transaction { tx in
            guard let now = try tx.query("SELECT transaction_timestamp()::text").first?.string(0) else {
                throw BenchError("no transaction time")
            }
            let stamped = rows.map { row -> [String?] in
                var row = row
                row[8] = now
                return row
            }
            let (_, seconds) = try MonotonicClock.time {
                try tx.copyIn("COPY ledger_events (\(ImportBench.columns)) FROM STDIN", rows: stamped)
            }
            return seconds
        }
    }
}
