import AccessModel
import PostgresClient

/// One command of an imported history, with who did it, why, and when.
public struct ImportItem: Sendable {
    public var command: Command
    public var actor: String?
    public var reason: String?
    public var occurredAt: Timestamp
    /// Where the command came from (its line in an import file), for messages; `nil` numbers the
    /// items from 1.
    public var line: Int?

    public init(command: Command, actor: String?, reason: String? = nil, occurredAt: Timestamp, line: Int? = nil) {
        self.command = command
        self.actor = actor
        self.reason = reason
        self.occurredAt = occurredAt
        self.line = line
    }
}

/// What an import did.
public struct ImportReport: Sendable, Equatable {
    /// Commands decided and carried out, those that changed nothing included.
    public var accepted: Int
    /// Commands the rules refused, skipped by ``Importer/run(_:batchSize:)`` (never by
    /// ``HistoryImport``, which stops at the first).
    public var refused: Int
    /// Accepted commands whose effect was already in place: they appended nothing.
    public var unchanged: Int = 0
    /// Events appended.
    public var events: Int64
    /// The head of the log afterwards: its position (0 for an empty log)…
    public var head: Int64 = 0
    /// …and hash (32 zero bytes for an empty log).
    public var headHash: [UInt8] = EventHasher.genesis

    /// The position of the first event appended, `nil` when none was.
    public var firstPosition: Int64? { events > 0 ? head - events + 1 : nil }
}

/// Bulk import of a history for benchmarks and tests: each command is decided by the same
/// ``Rules`` against the state in memory, its events are chained and loaded with COPY in one
/// transaction holding the append lock. Refused commands are counted and skipped, exactly as
/// they would append nothing one by one. The projections are left as they were: rebuild them
/// with ``Replay`` (``Replay/run(progress:)``) before anything else appends, so they are exactly
/// what the log gives. (`accessledger import` is ``HistoryImport``: all or nothing, projections
/// included.)
public struct Importer {
    public let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    /// Imports `items` after the current head. Each item's time must not be earlier than the
    /// previous one's (nor than the log's last event), or the import stops with exit 2.
    /// - Parameter batchSize: events per batch sent to the server.
    public func run(_ items: some Sequence<ImportItem>, batchSize: Int = 20_000) throws -> ImportReport {
        try Ledger.mapErrors {
            try connection.transaction { tx in
                var loader = try ImportLoader(tx, refused: .skip, batchSize: batchSize)
                // The state as of the current head, from the log itself.
                let state = InternedLedger()
                try EventStore(connection: tx).forEachEvent(through: loader.context.position) {
                    try Projection.apply($0, to: state)
                }
                do {
                    for item in items {
                        try loader.load(item, reader: state) { event, position, time in
                            try Projection.apply(event, position: position, occurredAt: time, to: state)
                        }
                    }
                    return try loader.finish()
                } catch {
                    loader.cancel()
                    throw error
                }
            }
        }
    }
}

/// `accessledger import`: a history from another system appended after the head as **one**
/// transaction that also rebuilds the projections, so that they are exactly what the log gives
/// the moment it commits.
///
/// Under the append lock, the log is replayed into a ``ProjectionRebuild``; each imported command
/// is then decided by ``Rules`` against its state, and its events are chained, applied to the
/// rebuild and streamed into `ledger_events` over a COPY that stays open (the server stores one
/// batch while the next commands are decided). A malformed or refused command stops the import
/// and nothing is appended; a command already in effect appends nothing and the import goes on.
/// At the end the rebuilt tables are swapped in (as `replay` does) and followers are woken.
///
/// Connections come from `connect`, as the tables' owner (the swap replaces tables). The import
/// costs a replay of the whole log besides the new events.
public struct HistoryImport {
    public let connect: @Sendable () throws -> Connection

    public init(connect: @escaping @Sendable () throws -> Connection) { self.connect = connect }

    /// Decides and appends the items `next` returns, in order, until it returns `nil`.
    ///
    /// - Parameter next: the next item, `nil` at the end; what it throws (e.g. a malformed line)
    ///   stops the import.
    /// - Returns: what was imported. When no command appended anything, nothing is changed.
    /// - Throws: ``LedgerError``, its message starting `line N: ` when an item is to blame (exit 2
    ///   for a bad time or bad input, 3 for a rule, as the command alone would exit); then
    ///   nothing is appended.
    public func run(next: () throws -> ImportItem?) throws -> ImportReport {
        try Ledger.mapErrors {
            let target = try connect()
            defer { target.close() }
            // One attempt: the input cannot be read a second time.
            return try target.transaction(maxAttempts: 1) { tx in
                var loader = try ImportLoader(tx, refused: .stop, batchSize: 4_096)
                let rebuild = try ProjectionRebuild(connect: connect)
                defer { rebuild.close() }
                do {
                    try rebuild.applyLog(through: loader.context.position) { _, _ in }
                    while let item = try next() {
                        try loader.load(item, reader: rebuild.state) { event, position, time in
                            try rebuild.apply(event, position: position, occurredAt: time)
                        }
                    }
                    let report = try loader.finish()
                    guard report.events > 0 else {
                        rebuild.abandon()
                        return report
                    }
                    try rebuild.finish(head: report.head)
                    try Replay.swap(tx)
                    // Webhooks removed, then the wake-up of every follower, delivered at COMMIT.
                    _ = try tx.pipeline(
                        loader.followUps + [
                            Statement("SELECT pg_notify($1, $2)", [EventFeedChannel.name, String(report.head)])
                        ])
                    return report
                } catch {
                    loader.cancel()
                    rebuild.abandon()
                    throw error
                }
            }
        }
    }
}

/// The part both imports share: decides commands one by one against a state in memory, chains
/// their events after the head and streams them into `ledger_events` with a binary COPY kept open
/// on the transaction (which then runs nothing else until ``finish()``).
struct ImportLoader {
    /// What to do with a command the rules refuse.
    enum RefusalPolicy {
        /// Count it and go on (it appends nothing, as it would alone).
        case skip
        /// Stop: the import fails, naming the item.
        case stop
    }

    static let copySQL = "COPY ledger_events (\(EventStore.writtenColumns)) FROM STDIN (FORMAT binary)"

    /// Queued rows are sent once they fill this many bytes (or ``batchSize`` rows), whichever
    /// comes first. Sending blocks until the socket takes the bytes, that is until the server
    /// has stored all but the socket's buffer of them: a batch much larger than that buffer
    /// (about 200 kB on Linux) would have the server idle while the next batch is decided and
    /// the client idle while it is stored. Small batches keep both busy at once.
    static let sendBytes = 64 * 1_024

    let tx: Connection
    let policy: RefusalPolicy
    let batchSize: Int
    /// The head so far.
    private(set) var context: AppendContext
    private var versions: [String: Int64] = [:]
    private var copy: CopyInStream?
    private var rows = BinaryCopyRows(reservingCapacity: 1 << 20)
    private var report = ImportReport(accepted: 0, refused: 0, events: 0)
    /// The previous item's time and line.
    private var previous: (time: Timestamp, line: Int)?
    private var ordinal = 0
    /// Statements that keep `webhook_delivery` in step with the webhook events appended.
    private(set) var followUps: [Statement] = []

    /// Takes the append lock and reads the head and every stream's version.
    init(_ tx: Connection, refused policy: RefusalPolicy, batchSize: Int) throws {
        self.tx = tx
        self.policy = policy
        self.batchSize = max(batchSize, 1)
        context = try EventStore(connection: tx).lockForAppend()
        for row in try tx.query("SELECT stream, max(stream_version) FROM ledger_events GROUP BY stream").rows {
            versions[try row.string(0)] = try row.int64(1)
        }
    }

    /// Decides `item` against `reader` (the state after every item before it), and chains and
    /// queues its events, handing each to `apply` (which must bring `reader` up to date).
    /// - Throws: ``LedgerError`` whose message starts `line N: `.
    mutating func load(
        _ item: ImportItem, reader: some LedgerReader, apply: (LedgerEvent, Int64, Timestamp) throws -> Void
    ) throws {
        ordinal += 1
        let line = item.line ?? ordinal
        do {
            let occurredAt = try checkTime(item.occurredAt, line: line)
            let decision: Decision
            do { decision = try Rules.decide(item.command, actor: item.actor, reader: reader) } catch is Refusal
                where policy == .skip
            {
                report.refused += 1
                return
            }
            report.accepted += 1
            guard !decision.isNoOp else {
                report.unchanged += 1
                return
            }
            var recorded: [RecordedEvent] = []
            recorded.reserveCapacity(decision.events.count)
            for event in decision.events {
                let record = context.chain(
                    event.newEvent, actor: decision.actor, reason: item.reason, at: occurredAt, versions: &versions)
                try apply(event, record.position, occurredAt)
                EventStore.copy(record, to: &rows)
                recorded.append(record)
                report.events += 1
            }
            followUps += Ledger.webhookDelivery(for: item.command, decided: zip(decision.events, recorded))
            if rows.count >= batchSize || rows.bytes.count >= ImportLoader.sendBytes { try send() }
        } catch let refusal as Refusal {
            let error: LedgerError =
                refusal.kind == .invalidInput ? .invalidInput(refusal.message) : .notPermitted(refusal.message)
            throw error.prefixed("line \(line): ")
        } catch let error as LedgerError {
            throw error.prefixed("line \(line): ")
        }
    }

    /// Checks an item's time: never earlier than the previous item's (even one that appended
    /// nothing) nor than the log's last event, never later than now.
    private mutating func checkTime(_ time: Timestamp, line: Int) throws -> Timestamp {
        if let previous, time < previous.time {
            throw LedgerError.invalidInput(
                "occurred_at \(time.rfc3339) is earlier than line \(previous.line)'s \(previous.time.rfc3339): "
                    + "the lines must come in the order they happened")
        }
        _ = try EventStore.occurredAt(requested: time, context: context, field: "occurred_at")
        previous = (time, line)
        return time
    }

    /// Sends the queued rows, starting the COPY with the first.
    private mutating func send() throws {
        guard rows.count > 0 else { return }
        let stream = try copy ?? CopyInStream(tx, sql: ImportLoader.copySQL)
        copy = stream
        try stream.send(&rows)
    }

    /// Sends the rest and ends the COPY (the server checks every row's chain by then).
    /// - Returns: what was imported, with the head afterwards.
    mutating func finish() throws -> ImportReport {
        try send()
        if let copy {
            self.copy = nil
            try copy.finish()
        }
        report.head = context.position
        report.headHash = context.hash
        return report
    }

    /// Abandons the COPY, if one is open, so the transaction can roll back.
    func cancel() { copy?.cancel() }
}
