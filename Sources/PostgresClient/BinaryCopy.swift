import CLibPQ

/// Rows in PostgreSQL's binary `COPY` format, written field by field: no text escaping, and
/// integers and times go as they are (no formatting here, no parsing in the server). Load them
/// with ``Connection/copyIn(_:binary:)`` or a ``CopyInStream`` into
/// `COPY … FROM STDIN (FORMAT binary)`, which add the format's header and trailer.
///
/// The caller writes exactly the table's columns, in order, with the types the statement names
/// (`text`, `bigint`, `boolean`, `timestamptz`, `bytea`, `jsonb`, `text[]`); the server refuses a mismatch.
public struct BinaryCopyRows: Sendable {
    /// The encoded rows (without the format's header and trailer).
    public private(set) var bytes: [UInt8] = []
    /// Rows written so far.
    public private(set) var count = 0

    /// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01T00:00:00Z).
    static let postgresEpochOffset: Int64 = 946_684_800_000_000

    public init(reservingCapacity capacity: Int = 1 << 16) {
        bytes.reserveCapacity(capacity)
        reset()
    }

    /// Forgets the rows, keeping the allocated capacity.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        count = 0
    }

    /// Starts a row of `fields` columns.
    public mutating func beginRow(fields: Int) {
        append16(Int16(fields))
        count += 1
    }

    /// A `text` value (`nil` for NULL).
    public mutating func text(_ value: String?) {
        guard var value else { return null() }
        value.withUTF8 { utf8 in
            append32(Int32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// A `bigint` value (`nil` for NULL).
    public mutating func int64(_ value: Int64?) {
        guard let value else { return null() }
        append32(8)
        append64(value)
    }

    /// A `boolean` value.
    public mutating func bool(_ value: Bool) {
        append32(1)
        bytes.append(value ? 1 : 0)
    }

    /// A `timestamptz` value given in microseconds since 1970-01-01T00:00:00Z (`nil` for NULL).
    public mutating func timestamp(unixMicroseconds value: Int64?) {
        int64(value.map { $0 - Self.postgresEpochOffset })
    }

    /// A `bytea` value.
    public mutating func bytea(_ value: [UInt8]) {
        append32(Int32(value.count))
        bytes.append(contentsOf: value)
    }

    /// A `jsonb` value given as JSON text (the binary format's version 1: a version byte, then
    /// the text, which the server parses as it would `text::jsonb`).
    public mutating func jsonb(_ json: String) {
        var json = json
        json.withUTF8 { utf8 in
            append32(Int32(utf8.count + 1))
            bytes.append(1)
            bytes.append(contentsOf: utf8)
        }
    }

    /// A one-dimensional `text[]` value without NULL elements.
    public mutating func textArray(_ values: [String]) {
        let lengthAt = bytes.count
        append32(0)  // patched below
        let start = bytes.count
        append32(values.isEmpty ? 0 : 1)  // dimensions
        append32(0)  // no NULLs
        append32(25)  // element type: text
        if !values.isEmpty {
            append32(Int32(values.count))
            append32(1)  // lower bound
            for value in values { text(value) }
        }
        let length = Int32(bytes.count - start)
        withUnsafeBytes(of: length.bigEndian) { bytes.replaceSubrange(lengthAt..<lengthAt + 4, with: $0) }
    }

    /// The signature, flags (no OIDs) and header extension length that precede the rows.
    static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
    /// The end-of-data marker that follows the last row.
    static let trailer: [UInt8] = [0xFF, 0xFF]

    private mutating func null() { append32(-1) }
    private mutating func append16(_ value: Int16) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
    private mutating func append32(_ value: Int32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
    private mutating func append64(_ value: Int64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}

/// One `COPY … FROM STDIN (FORMAT binary)` kept open while rows are produced: each ``send(_:)``
/// passes a batch to the server, which parses and stores it while the caller goes on (the COPY
/// is the connection's only statement until ``finish()``).
public final class CopyInStream {
    let connection: Connection
    private var finished = false

    /// Starts the COPY on `connection` (which must not be in a pipeline).
    public init(_ connection: Connection, sql: String) throws {
        self.connection = connection
        try connection.startCopyIn(sql)
        try connection.putCopyData(BinaryCopyRows.header)
    }

    /// Sends the rows and empties `rows`.
    public func send(_ rows: inout BinaryCopyRows) throws {
        try connection.putCopyData(rows.bytes)
        rows.reset()
    }

    /// Ends the COPY and returns the number of rows loaded.
    @discardableResult
    public func finish() throws -> Int {
        finished = true
        try connection.putCopyData(BinaryCopyRows.trailer)
        return try connection.endCopyIn(error: nil)
    }

    /// Abandons the COPY (nothing it sent is kept) if it was not finished.
    public func cancel() {
        guard !finished else { return }
        finished = true
        _ = try? connection.endCopyIn(error: "copy abandoned")
    }

    deinit { cancel() }
}
