import PostgresClient

/// Whole tuples of the log's binary COPY, copied out of libpq's buffers so that another thread
/// can hash them (``HashingPipeline``).
struct EventBatch: Sendable {
    /// The COPY data; the tuples are `bytes[boundaries[i]..<boundaries[i + 1]]`.
    var bytes: [UInt8] = []
    var boundaries: [Int] = [0]

    var count: Int { boundaries.count - 1 }

    /// Hashes every tuple, in order.
    func hashed() -> [HashedRow] {
        var scratch = EventStore.HashingScratch()
        var rows: [HashedRow] = []
        rows.reserveCapacity(count)
        bytes.withUnsafeBytes { all in
            for index in 0..<count {
                let tuple = UnsafeRawBufferPointer(rebasing: all[boundaries[index]..<boundaries[index + 1]])
                rows.append(EventStore.hashRow(tuple, scratch: &scratch))
            }
        }
        return rows
    }
}

/// Cuts the stream of COPY messages into batches of whole tuples: the header is dropped, a
/// tuple split over messages is carried to the next batch, and the trailer ends the stream.
struct EventBatchBuilder {
    private var batch = EventBatch()
    /// Where the first byte not yet framed into a tuple is, in `batch.bytes`.
    private var framed = 0
    private var headerRead = false
    /// The trailer was read: the COPY is whole.
    private(set) var ended = false

    /// Tuples framed into the current batch.
    var count: Int { batch.count }

    /// Adds one COPY data message.
    /// - Throws: ``PostgresError`` for data that is not the binary COPY format.
    mutating func append(_ message: UnsafeRawBufferPointer) throws {
        guard !ended else { throw BinaryCopyOutput.malformed("data after the trailer") }
        batch.bytes.append(contentsOf: message)
        try batch.bytes.withUnsafeBytes { all in
            if !headerRead {
                guard let header = try BinaryCopyOutput.headerLength(UnsafeRawBufferPointer(rebasing: all[framed...]))
                else { return }
                framed += header
                headerRead = true
                batch.boundaries[0] = framed
            }
            while true {
                switch try BinaryCopyOutput.frame(UnsafeRawBufferPointer(rebasing: all[framed...])) {
                case .tuple(let length):
                    framed += length
                    batch.boundaries.append(framed)
                case .trailer:
                    framed += 2
                    ended = true
                    return
                case .incomplete:
                    return
                }
            }
        }
    }

    /// The tuples framed so far; the builder keeps the bytes of an incomplete one.
    mutating func take() -> EventBatch {
        var next = EventBatch()
        let end = batch.boundaries[batch.boundaries.count - 1]
        next.bytes.reserveCapacity(batch.bytes.capacity)
        next.bytes.append(contentsOf: batch.bytes[end...])
        batch.bytes.removeSubrange(end...)
        framed -= end
        swap(&next, &batch)
        return next
    }
}
