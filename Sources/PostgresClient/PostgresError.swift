import CLibPQ

/// An error reported by libpq or the server.
///
/// Carries the SQLSTATE and the server's fields; its `description` is a safe one-line summary
/// (message, detail, SQLSTATE) that never includes parameter values or the statement text.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Could not connect, or the connection was lost.
        case connection
        /// The server refused a statement (see `sqlState`).
        case server
        /// The client was used wrongly (e.g. a COPY inside a pipeline) or libpq failed locally.
        case client
    }

    public var kind: Kind
    /// Five-character SQLSTATE, e.g. `23505`; `nil` for connection and client errors.
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    public var constraint: String?

    public init(
        kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil,
        constraint: String? = nil
    ) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
    }

    public var description: String {
        var text = message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail { text += "\n  detail: \(detail)" }
        return text
    }

    /// True for `serialization_failure` (40001) and `deadlock_detected` (40P01): the transaction
    /// may succeed if run again.
    public var isRetryable: Bool { sqlState == "40001" || sqlState == "40P01" }

    public var isUniqueViolation: Bool { sqlState == "23505" }

    /// Builds an error from a failed result; the result is not freed here.
    static func from(result: OpaquePointer?, connection: OpaquePointer?) -> PostgresError {
        func field(_ code: Int32) -> String? {
            guard let result, let value = PQresultErrorField(result, code) else { return nil }
            return String(cString: value)
        }
        if let sqlState = field(CLIBPQ_DIAG_SQLSTATE) {
            return PostgresError(
                kind: .server, sqlState: sqlState, message: field(CLIBPQ_DIAG_MESSAGE_PRIMARY) ?? "unknown error",
                detail: field(CLIBPQ_DIAG_MESSAGE_DETAIL), hint: field(CLIBPQ_DIAG_MESSAGE_HINT),
                constraint: field(CLIBPQ_DIAG_CONSTRAINT_NAME))
        }
        var message = result.flatMap { PQresultErrorMessage($0) }.map { String(cString: $0) } ?? ""
        if message.isEmpty { message = connection.map(Connection.lastError) ?? "unknown libpq error" }
        // libpq does not always mark the connection bad at once (e.g. in pipeline mode), but its
        // messages for a connection that went away are fixed.
        let lost =
            connection.map { PQstatus($0) == CONNECTION_BAD } ?? true
            || PostgresError.lostConnectionMessages.contains { message.contains($0) }
        return PostgresError(kind: lost ? .connection : .client, message: Connection.oneLine(message))
    }

    /// libpq's messages for a connection that went away.
    static let lostConnectionMessages = [
        "server closed the connection unexpectedly", "no connection to the server",
        "could not receive data from server",
        "could not send data to server", "terminating connection",
    ]
}
