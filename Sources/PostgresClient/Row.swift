/// One row of a result, with its values copied out of libpq (text format).
public struct Row: Sendable {
    public let values: [String?]

    public init(values: [String?]) { self.values = values }

    public subscript(index: Int) -> String? { values[index] }

    /// The value of column `index`, or an error naming the column when it is NULL.
    public func string(_ index: Int) throws -> String {
        guard let value = values[index] else { throw Row.unexpected("NULL", index) }
        return value
    }

    public func int64(_ index: Int) throws -> Int64 {
        guard let value = Int64(try string(index)) else { throw Row.unexpected(values[index] ?? "", index) }
        return value
    }

    public func optionalInt64(_ index: Int) throws -> Int64? {
        guard values[index] != nil else { return nil }
        return try int64(index)
    }

    public func bool(_ index: Int) throws -> Bool {
        switch try string(index) {
        case "t": return true
        case "f": return false
        case let other: throw Row.unexpected(other, index)
        }
    }

    /// A `bytea` column in PostgreSQL's hex output format (`\x0a1b…`).
    public func bytes(_ index: Int) throws -> [UInt8] {
        let text = try string(index)
        guard text.hasPrefix("\\x"), let bytes = Hex.decode(text.dropFirst(2)) else {
            throw Row.unexpected(text, index)
        }
        return bytes
    }

    static func unexpected(_ value: String, _ index: Int) -> PostgresError {
        PostgresError(kind: .client, message: "unexpected value \"\(value.prefix(40))\" in column \(index)")
    }
}

/// The rows and column names of a completed statement.
public struct QueryResult: Sendable {
    public let columns: [String]
    public let rows: [Row]
    /// Rows affected, for INSERT/UPDATE/DELETE (`PQcmdTuples`); 0 otherwise.
    public let affectedRows: Int

    public init(columns: [String], rows: [Row], affectedRows: Int) {
        self.columns = columns
        self.rows = rows
        self.affectedRows = affectedRows
    }

    public var first: Row? { rows.first }
}

/// Lowercase hexadecimal encoding.
public enum Hex {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        encode(Array(bytes))
    }

    /// Lowercase hex digits of `bytes`, two per byte.
    public static func encode(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            let digits: StaticString = "0123456789abcdef"
            var index = 0
            for byte in bytes {
                buffer[index] = digits.utf8Start[Int(byte >> 4)]
                buffer[index + 1] = digits.utf8Start[Int(byte & 0x0F)]
                index += 2
            }
            return index
        }
    }

    /// Decodes hex digits (either case); `nil` on an odd length or a non-hex character.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let high = nibble(utf8[i]), let low = nibble(utf8[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }
}
