/// PostgreSQL's binary `COPY` format, read: the data ``Connection/copyOut(_:_:)`` hands over
/// for `COPY … TO STDOUT (FORMAT binary)`. A header (signature, flags, extension), then one
/// tuple per row (a 16-bit field count, then each field as a 32-bit length, -1 for NULL, and
/// its bytes, all big-endian), then a trailer (a field count of -1).
public enum BinaryCopyOutput {
    /// Where a stream of COPY data stands.
    public enum Frame: Equatable, Sendable {
        /// A whole tuple of `length` bytes starts here.
        case tuple(length: Int)
        /// The trailer (2 bytes): no more rows.
        case trailer
        /// The bytes end within a tuple (or before its field count).
        case incomplete
    }

    /// The length of the header at the start of `bytes`, or `nil` while it is incomplete.
    /// - Throws: ``PostgresError`` when the bytes are not the binary format's header.
    public static func headerLength(_ bytes: UnsafeRawBufferPointer) throws -> Int? {
        let signature = BinaryCopyRows.header.prefix(11)
        guard bytes.count >= 19 else {
            guard bytes.elementsEqual(signature.prefix(bytes.count)) else { throw malformed("header") }
            return nil
        }
        guard bytes.prefix(11).elementsEqual(signature) else { throw malformed("header") }
        let extensionLength = Int(int32(bytes, at: 15))
        guard extensionLength >= 0 else { throw malformed("header") }
        return bytes.count >= 19 + extensionLength ? 19 + extensionLength : nil
    }

    /// What starts at the beginning of `bytes`.
    /// - Throws: ``PostgresError`` for a negative field count or length other than the trailer
    ///   and NULL.
    public static func frame(_ bytes: UnsafeRawBufferPointer) throws -> Frame {
        guard bytes.count >= 2 else { return .incomplete }
        let fields = int16(bytes, at: 0)
        if fields == -1 { return .trailer }
        guard fields >= 0 else { throw malformed("field count") }
        var offset = 2
        for _ in 0..<fields {
            guard bytes.count >= offset + 4 else { return .incomplete }
            let length = int32(bytes, at: offset)
            offset += 4
            if length == -1 { continue }
            guard length >= 0 else { throw malformed("field length") }
            offset += Int(length)
        }
        return bytes.count >= offset ? .tuple(length: offset) : .incomplete
    }

    /// A big-endian 16-bit integer at `offset`.
    public static func int16(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int16 {
        Int16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int16.self))
    }

    /// A big-endian 32-bit integer at `offset`.
    public static func int32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int32 {
        Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self))
    }

    /// A big-endian 64-bit integer at `offset`.
    public static func int64(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int64 {
        Int64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self))
    }

    /// The error for data that is not the binary COPY format (`what` says where).
    public static func malformed(_ what: String) -> PostgresError {
        PostgresError(kind: .client, message: "malformed binary COPY data (\(what))")
    }
}

/// The fields of one tuple of ``BinaryCopyOutput``, read in order.
public struct BinaryCopyFields {
    private let tuple: UnsafeRawBufferPointer
    private var offset = 2
    /// Fields in the tuple.
    public let count: Int

    /// - Parameter tuple: exactly one whole tuple (``BinaryCopyOutput/Frame/tuple(length:)``).
    public init(_ tuple: UnsafeRawBufferPointer) {
        self.tuple = tuple
        count = Int(BinaryCopyOutput.int16(tuple, at: 0))
    }

    /// The next field's bytes, `nil` for NULL. The tuple must have been framed by
    /// ``BinaryCopyOutput/frame(_:)``, and `next()` called at most ``count`` times.
    public mutating func next() -> UnsafeRawBufferPointer? {
        let length = Int(BinaryCopyOutput.int32(tuple, at: offset))
        offset += 4
        guard length >= 0 else { return nil }
        defer { offset += length }
        return UnsafeRawBufferPointer(rebasing: tuple[offset..<(offset + length)])
    }
}
