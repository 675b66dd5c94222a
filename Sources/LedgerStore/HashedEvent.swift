import AccessModel
import Crypto
import PostgresClient

/// What `verify` needs of one event, read from the log's binary COPY (``EventStore/copyOfTheLog``)
/// without building a ``RecordedEvent``: the fields the chain checks, and the hash its stored
/// contents give (the same as ``EventHasher/expectedHash(of:)`` of the decoded event).
struct HashedEvent: Sendable {
    var position: Int64
    var occurredAt: Timestamp
    /// `nil` when the stored value is not 32 bytes (it then matches no hash).
    var previousHash: EventDigest?
    var hash: EventDigest?
    /// SHA-256 of the stored `previous_hash` and the canonical encoding of the event.
    var expectedHash: EventDigest
}

/// One row of the log's COPY, hashed: an event, or what stops verification there.
enum HashedRow: Sendable {
    case event(HashedEvent)
    /// Its `data` is not a payload accessledger writes (as ``EventStore/decode(_:)`` throws it).
    case unreadable(UnreadableEvent)
    /// A column the reader cannot take (as ``EventStore/decode(_:)`` throws it for a NULL).
    case failed(PostgresError)
}

extension EventStore {
    /// The whole log in position order, as binary COPY: ``columns``, whose values arrive as
    /// their bytes (texts as UTF-8, integers as 8 bytes, hashes raw), with nothing to unescape.
    static let copyOfTheLog =
        "COPY (SELECT \(EventStore.columns) FROM ledger_events ORDER BY position) TO STDOUT (FORMAT binary)"

    /// Reusable buffers for ``hashRow(_:scratch:)``, one per thread.
    struct HashingScratch {
        var json = CanonicalJSONText()
        var data: [UInt8] = []
        var canonical: [UInt8] = []
        var fields: [UnsafeRawBufferPointer?] = []

        init() {
            fields.reserveCapacity(12)
            data.reserveCapacity(1 << 12)
            canonical.reserveCapacity(1 << 12)
        }
    }

    /// Hashes one tuple of ``copyOfTheLog``. Problems are found in the order
    /// ``decode(_:)`` finds them, with the same reports: a NULL `data`, then `data` that is not
    /// a payload, then a NULL in the other columns in their order.
    static func hashRow(_ tuple: UnsafeRawBufferPointer, scratch: inout HashingScratch) -> HashedRow {
        var reader = BinaryCopyFields(tuple)
        guard reader.count == 12 else {
            return .failed(PostgresError(kind: .client, message: "expected 12 columns, got \(reader.count)"))
        }
        scratch.fields.removeAll(keepingCapacity: true)
        for _ in 0..<12 { scratch.fields.append(reader.next()) }
        let fields = scratch.fields
        func null(_ column: Int) -> HashedRow {
            .failed(PostgresError(kind: .client, message: "unexpected value \"NULL\" in column \(column)"))
        }
        func int64(_ column: Int) -> Int64? {
            guard let field = fields[column], field.count == 8 else { return nil }
            return BinaryCopyOutput.int64(field, at: 0)
        }
        guard let data = fields[4] else { return null(4) }
        scratch.data.removeAll(keepingCapacity: true)
        do {
            try scratch.json.write(data.assumingMemoryBound(to: UInt8.self), into: &scratch.data)
        } catch {
            guard let position = int64(0) else { return null(0) }
            return .unreadable(UnreadableEvent.payload(position: position, error))
        }
        guard let position = int64(0) else { return null(0) }
        guard let stream = fields[1] else { return null(1) }
        guard let streamVersion = int64(2) else { return null(2) }
        guard let type = fields[3] else { return null(3) }
        guard let actor = fields[5] else { return null(5) }
        guard let occurredAt = int64(7) else { return null(7) }
        guard let recordedAt = int64(8) else { return null(8) }
        guard let previousHash = fields[9] else { return null(9) }
        guard let hash = fields[10] else { return null(10) }
        scratch.canonical.removeAll(keepingCapacity: true)
        let canonicalData = scratch.data
        EventHasher.writeCanonical(
            position: position, stream: UTF8Text(bytes: stream), streamVersion: streamVersion,
            type: UTF8Text(bytes: type), actor: UTF8Text(bytes: actor), reason: fields[6].map(UTF8Text.init),
            token: fields[11].map(UTF8Text.init), occurredAt: Timestamp(microseconds: occurredAt),
            recordedAt: Timestamp(microseconds: recordedAt), into: &scratch.canonical
        ) { $0.append(contentsOf: canonicalData) }
        var hasher = SHA256()
        hasher.update(bufferPointer: previousHash)
        scratch.canonical.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        let expected = EventDigest(hasher.finalize())
        return .event(
            HashedEvent(
                position: position, occurredAt: Timestamp(microseconds: occurredAt),
                previousHash: EventDigest(previousHash), hash: EventDigest(hash), expectedHash: expected))
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes as `UInt8`s (they are bytes of a COPY message, bound to nothing else).
    fileprivate func assumingMemoryBound(to _: UInt8.Type) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: baseAddress?.assumingMemoryBound(to: UInt8.self), count: count)
    }
}
