import AccessModel
import PostgresClient

/// What `accessledger verify` found (SPEC §5 JSON shape).
public struct VerifyReport: Sendable, Equatable {
    public var ok: Bool
    /// Events read (up to and including the first bad one).
    public var events: Int64
    /// The last good event: position and lowercase hex hash; `nil` for an empty log, and when
    /// an expected head is no longer part of the log (the rewrite may be at or before it, so no
    /// event of it can be vouched for).
    public var head: (position: Int64, hash: String)?
    public var firstBadPosition: Int64?
    public var problem: String?

    public static func == (lhs: VerifyReport, rhs: VerifyReport) -> Bool {
        lhs.ok == rhs.ok && lhs.events == rhs.events && lhs.head?.position == rhs.head?.position
            && lhs.head?.hash == rhs.head?.hash && lhs.firstBadPosition == rhs.firstBadPosition
            && lhs.problem == rhs.problem
    }
}

/// Pure checks of one event against the one before it; fed by a stream of events, so memory
/// stays constant whatever the length of the log.
public struct ChainVerifier: Sendable {
    public private(set) var expectedPosition: Int64 = 1
    /// The hash of the last good event (32 zero bytes before the first).
    public var previousHash: [UInt8] { previous.bytes }
    public private(set) var previousOccurredAt: Timestamp?
    public private(set) var checked: Int64 = 0
    private var previous = EventDigest(genesis: ())

    public init() {}

    /// Checks `event`; returns the problem, or `nil` and advances when it is good.
    public mutating func check(_ event: RecordedEvent) -> String? {
        check(
            position: event.position, previousHash: EventDigest(event.previousHash), occurredAt: event.occurredAt,
            hash: EventDigest(event.hash), expectedHash: EventDigest(EventHasher.expectedHash(of: event)))
    }

    /// Checks an event given by the fields the chain needs; `expectedHash` is evaluated only
    /// when the checks before it pass. Returns the problem, or `nil` and advances.
    /// A `nil` hash (a stored value that is not 32 bytes) matches nothing.
    mutating func check(
        position: Int64, previousHash: EventDigest?, occurredAt: Timestamp, hash: EventDigest?,
        expectedHash: @autoclosure () -> EventDigest?
    ) -> String? {
        if position != expectedPosition {
            return position > expectedPosition
                ? "position \(expectedPosition) is missing (next is \(position))"
                : "position \(position) appears out of order"
        }
        if previousHash != previous {
            return "previous_hash does not match the hash of position \(position - 1)"
        }
        if let previousOccurredAt, occurredAt < previousOccurredAt {
            return "occurred_at \(occurredAt.rfc3339) is earlier than the previous event's "
                + previousOccurredAt.rfc3339
        }
        guard let hash, hash == expectedHash() else {
            return "hash does not match the event's contents (the event was altered)"
        }
        expectedPosition += 1
        previous = hash
        previousOccurredAt = occurredAt
        checked += 1
        return nil
    }
}

/// A head that must still be part of the log: one printed by an earlier `verify`
/// (`--expect-head`) or a signed checkpoint (`--checkpoints`).
public struct ExpectedHead: Sendable, Equatable {
    public var position: Int64
    public var hash: [UInt8]
    /// How messages name it, e.g. `expected head 10:ab…` or `checkpoint on line 3 (signed …)`.
    public var name: String

    public init(position: Int64, hash: [UInt8], name: String? = nil) {
        self.position = position
        self.hash = hash
        self.name = name ?? "expected head \(position):\(Hex.encode(hash))"
    }
}

extension EventStore {
    /// Re-verifies the whole log: positions 1..N without gaps, every hash recomputed, times
    /// never decreasing, every payload one that accessledger writes; that the projections are
    /// not ahead of the log (events removed from its end); and that every expected head (an
    /// earlier verify's, a signed checkpoint) is still part of it. The log and the projections'
    /// position are read in one snapshot.
    /// - Parameter progress: called about every 10,000 events with the count so far.
    /// - Returns: the report; a problem in the log is a report with `ok == false`, not an error.
    /// - Throws: ``LedgerError`` or ``PostgresError`` when the database fails.
    public func verify(expectHeads: [ExpectedHead], progress: (Int64) -> Void = { _ in }) throws -> VerifyReport {
        try inOneSnapshot { store, projected in
            try store.verifyLog(expectHeads: expectHeads, projectedPosition: projected, progress: progress)
        }
    }

    /// Runs `body` in one read-only snapshot, with the projections' position.
    func inOneSnapshot<T>(_ body: (EventStore, Int64) throws -> T) throws -> T {
        try connection.transaction(isolation: "REPEATABLE READ") { tx in
            let projected = try tx.query("SELECT position FROM projection_state").first?.int64(0) ?? 0
            return try body(EventStore(connection: tx), projected)
        }
    }

    /// ``verify(expectHeads:progress:)`` with at most one expected head.
    public func verify(
        expectHead: (position: Int64, hash: [UInt8])? = nil, progress: (Int64) -> Void = { _ in }
    ) throws -> VerifyReport {
        try verify(
            expectHeads: expectHead.map { [ExpectedHead(position: $0.position, hash: $0.hash)] } ?? [],
            progress: progress)
    }

    func verifyLog(expectHeads: [ExpectedHead], projectedPosition: Int64, progress: (Int64) -> Void) throws
        -> VerifyReport
    {
        try verifyLog(
            expectHeads: expectHeads, projectedPosition: projectedPosition, threads: HashingPipeline.defaultThreads,
            progress: progress)
    }

    /// Reads the log as binary COPY on this thread and hashes it on `threads` others
    /// (``HashingPipeline``; 0: on this one); the checks run here, in position order, and stop
    /// at the first bad event, so the report is the same whatever `threads` is.
    func verifyLog(expectHeads: [ExpectedHead], projectedPosition: Int64, threads: Int, progress: (Int64) -> Void)
        throws -> VerifyReport
    {
        var verifier = ChainVerifier()
        var failure: (position: Int64, problem: String)?
        // An expected head that is no longer part of the log vouches for none of its events: the
        // rewrite may be anywhere at or before it.
        var headRewritten = false
        var eventsRead: Int64 = 0
        let expected = Dictionary(grouping: expectHeads, by: \.position)
        struct Stop: Error {}
        func mismatch(_ head: ExpectedHead, found hash: [UInt8]) -> String {
            "\(head.name) is not part of the log: position \(head.position) now has hash \(Hex.encode(hash)), so "
                + "the log was rewritten at or before it"
        }
        if let bad = expected[0]?.first(where: { $0.hash != EventHasher.genesis }) {
            failure = (0, mismatch(bad, found: EventHasher.genesis))
            headRewritten = true
        }
        /// Checks the hashed rows of one batch, in order; throws `Stop` at the first bad one.
        func check(_ rows: [HashedRow]) throws {
            for row in rows {
                let event: HashedEvent
                switch row {
                case .event(let hashed): event = hashed
                case .unreadable(let unreadable):
                    eventsRead += 1
                    failure = (
                        unreadable.position,
                        "\(unreadable.problem): the event was altered (its stored form does not hash to its hash)"
                    )
                    throw Stop()
                case .failed(let error): throw error
                }
                eventsRead += 1
                if let problem = verifier.check(
                    position: event.position, previousHash: event.previousHash, occurredAt: event.occurredAt,
                    hash: event.hash, expectedHash: event.expectedHash)
                {
                    failure = (min(event.position, verifier.expectedPosition), problem)
                    throw Stop()
                }
                if let heads = expected[event.position], let hash = event.hash?.bytes,
                    let bad = heads.first(where: { $0.hash != hash })
                {
                    failure = (event.position, mismatch(bad, found: hash))
                    headRewritten = true
                    throw Stop()
                }
                if verifier.checked % 10_000 == 0 { progress(verifier.checked) }
            }
        }
        if failure == nil {
            let pipeline = HashingPipeline(threads: threads)
            var batches = EventBatchBuilder()
            do {
                try connection.copyOut(EventStore.copyOfTheLog) { message in
                    try batches.append(message)
                    if batches.count >= EventStore.verifyBatchSize { try pipeline.submit(batches.take(), take: check) }
                }
                guard batches.ended else { throw BinaryCopyOutput.malformed("no trailer") }
                try pipeline.submit(batches.take(), take: check)
                try pipeline.finish(take: check)
            } catch is Stop {
                pipeline.abandon()
            } catch {
                pipeline.abandon()
                throw error
            }
        }
        let logEnd = verifier.expectedPosition - 1
        if failure == nil,
            let beyond = expectHeads.filter({ $0.position > logEnd }).min(by: { $0.position < $1.position })
        {
            failure = (
                logEnd + 1,
                "\(beyond.name) is not part of the log: the log ends at position \(logEnd) (truncated?)"
            )
        }
        if failure == nil, projectedPosition > logEnd {
            failure = (
                logEnd + 1,
                "the projections are at position \(projectedPosition) but the log ends at position \(logEnd): "
                    + "events were removed from the end of the log"
            )
        }
        let head = headRewritten || verifier.checked == 0 ? nil : (logEnd, Hex.encode(verifier.previousHash))
        return VerifyReport(
            ok: failure == nil, events: eventsRead, head: head, firstBadPosition: failure?.position,
            problem: failure?.problem)
    }

    /// Events per batch handed to a hashing thread (about 0.3 MB of COPY data).
    static let verifyBatchSize = 1_000
}
