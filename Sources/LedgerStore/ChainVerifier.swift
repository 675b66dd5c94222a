import AccessModel
import PostgresClient

/// What `accessledger verify` found (SPEC §5 JSON shape).
public struct VerifyReport: Sendable, Equatable {
    public var ok: Bool
    /// Events read (up to and including the first bad one).
    public var events: Int64
    /// The last good event: position and lowercase hex hash (`nil` for an empty log).
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
    public private(set) var previousHash: [UInt8] = EventHasher.genesis
    public private(set) var previousOccurredAt: Timestamp?
    public private(set) var checked: Int64 = 0

    public init() {}

    /// Checks `event`; returns the problem, or `nil` and advances when it is good.
    public mutating func check(_ event: RecordedEvent) -> String? {
        if event.position != expectedPosition {
            return event.position > expectedPosition
                ? "position \(expectedPosition) is missing (next is \(event.position))"
                : "position \(event.position) appears out of order"
        }
        if event.previousHash != previousHash {
            return "previous_hash does not match the hash of position \(event.position - 1)"
        }
        if let previousOccurredAt, event.occurredAt < previousOccurredAt {
            return "occurred_at \(event.occurredAt.rfc3339) is earlier than the previous event's "
                + previousOccurredAt.rfc3339
        }
        if EventHasher.expectedHash(of: event) != event.hash {
            return "hash does not match the event's contents (the event was altered)"
        }
        expectedPosition += 1
        previousHash = event.hash
        previousOccurredAt = event.occurredAt
        checked += 1
        return nil
    }
}

extension EventStore {
    /// Re-verifies the whole log: positions 1..N without gaps, every hash recomputed, times
    /// never decreasing; and, with `expectHead`, that an earlier head is still part of it.
    /// - Parameter progress: called about every 10,000 events with the count so far.
    public func verify(
        expectHead: (position: Int64, hash: [UInt8])? = nil, progress: (Int64) -> Void = { _ in }
    ) throws -> VerifyReport {
        var verifier = ChainVerifier()
        var failure: (position: Int64, problem: String)?
        var expectedHeadSeen = false
        struct Stop: Error {}
        do {
            try forEachEvent { event in
                if let problem = verifier.check(event) {
                    failure = (min(event.position, verifier.expectedPosition), problem)
                    throw Stop()
                }
                if let expectHead, expectHead.position == event.position {
                    expectedHeadSeen = true
                    if expectHead.hash != event.hash {
                        failure = (
                            event.position,
                            "expected head \(expectHead.position):\(Hex.encode(expectHead.hash)) is not part of the "
                                + "log: position \(event.position) now has hash \(Hex.encode(event.hash))"
                        )
                        throw Stop()
                    }
                }
                if verifier.checked % 10_000 == 0 { progress(verifier.checked) }
            }
        } catch is Stop {}
        if failure == nil, let expectHead, !expectedHeadSeen {
            failure = (
                verifier.expectedPosition,
                "expected head \(expectHead.position):\(Hex.encode(expectHead.hash)) is not part of the log: "
                    + "the log ends at position \(verifier.expectedPosition - 1) (truncated?)"
            )
        }
        let head = verifier.checked > 0 ? (verifier.expectedPosition - 1, Hex.encode(verifier.previousHash)) : nil
        return VerifyReport(
            ok: failure == nil, events: verifier.checked + (failure == nil ? 0 : 1), head: head,
            firstBadPosition: failure?.position, problem: failure?.problem)
    }
}
