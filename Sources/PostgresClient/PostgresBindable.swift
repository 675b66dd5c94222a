/// A Swift value that can be sent as a query parameter (text format).
///
/// Parameters are always sent separately from the statement (`PQexecParams`), never spliced
/// into SQL text.
public protocol PostgresBindable {
    /// The parameter's text form, or `nil` for SQL NULL.
    var postgresText: String? { get }
}

extension String: PostgresBindable {
    public var postgresText: String? { self }
}

extension Substring: PostgresBindable {
    public var postgresText: String? { String(self) }
}

extension Int: PostgresBindable {
    public var postgresText: String? { String(self) }
}

extension Int64: PostgresBindable {
    public var postgresText: String? { String(self) }
}

extension Int32: PostgresBindable {
    public var postgresText: String? { String(self) }
}

extension Bool: PostgresBindable {
    public var postgresText: String? { self ? "t" : "f" }
}

extension Optional: PostgresBindable where Wrapped: PostgresBindable {
    public var postgresText: String? { self.flatMap { $0.postgresText } }
}

/// A `bytea` parameter.
public struct ByteA: PostgresBindable, Sendable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var postgresText: String? { "\\x" + Hex.encode(bytes) }
}

/// A parameter given directly as its text form (e.g. a `jsonb` document or an array literal).
public struct PostgresText: PostgresBindable, Sendable {
    public var text: String?
    public init(_ text: String?) { self.text = text }
    public var postgresText: String? { text }
}

extension Array: PostgresBindable where Element == String {
    /// A `text[]` literal; elements are quoted and escaped, so any string is safe.
    public var postgresText: String? {
        "{" + map { "\"" + $0.replacingBackslashesAndQuotes() + "\"" }.joined(separator: ",") + "}"
    }
}

/// A `text[]` parameter whose elements may be SQL NULL: the columns of set-based statements
/// (`unnest($1::text[], …)`), one element per row.
public struct NullableTextArray: PostgresBindable, Sendable {
    public var elements: [String?]
    public init(_ elements: [String?]) { self.elements = elements }
    public var postgresText: String? {
        "{" + elements.map { $0.map { "\"" + $0.replacingBackslashesAndQuotes() + "\"" } ?? "NULL" }
            .joined(separator: ",") + "}"
    }
}

extension String {
    fileprivate func replacingBackslashesAndQuotes() -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for character in self {
            if character == "\\" || character == "\"" { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
