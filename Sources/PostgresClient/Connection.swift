import CLibPQ

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One statement with its parameters, for ``Connection/pipeline(_:)``.
public struct Statement {
    public var sql: String
    public var parameters: [any PostgresBindable]

    public init(_ sql: String, _ parameters: [any PostgresBindable] = []) {
        self.sql = sql
        self.parameters = parameters
    }
}

/// An asynchronous notification received after `LISTEN`.
public struct Notification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    public var senderPID: Int32
}

/// A connection to PostgreSQL through libpq.
///
/// Not thread-safe: use one connection per thread or task. The connection is closed by
/// ``close()`` or, at the latest, when the object is released. Every statement is sent with
/// its parameters out of line (`PQexecParams`); values are copied into Swift before the
/// libpq result is freed.
public final class Connection {
    private var handle: OpaquePointer?

    /// Called with every statement ``query(_:_:)`` and ``pipeline(_:)`` send, before sending
    /// it: for instruments such as the benchmark's buffer count (`EXPLAIN (ANALYZE, BUFFERS)`
    /// of each statement of an answer). `nil` (the default) costs one test per statement.
    public var statementObserver: ((Statement) -> Void)?

    /// How many times this connection has waited for the server: one per ``query(_:_:)``,
    /// ``queryPrepared(_:_:)``, ``stream(_:_:_:)``, COPY or ``pipeline(_:)`` (however many
    /// statements it holds). Tests and the benchmark read it to count a command's round trips.
    public private(set) var roundTrips = 0

    /// Opens a connection.
    /// - Parameters:
    ///   - conninfo: a libpq connection string (`host=/tmp dbname=x`) or URI (`postgresql://…`).
    ///     Its settings win over the defaults below.
    ///   - applicationName: shown in `pg_stat_activity`.
    ///   - connectTimeout: seconds to wait for the server, so an unreachable host cannot hang us.
    /// - Throws: ``PostgresError`` of kind `.connection`, with libpq's message on one line.
    public init(_ conninfo: String, applicationName: String = "accessledger", connectTimeout: Int = 10) throws {
        let keywords = ["connect_timeout", "application_name", "client_encoding", "dbname"]
        let values = [String(connectTimeout), applicationName, "UTF8", conninfo]
        let connection = Connection.withCStrings(keywords) { keywordPointers in
            Connection.withCStrings(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection else {
            throw PostgresError(kind: .connection, message: "out of memory while connecting")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Connection.lastError(connection)
            PQfinish(connection)
            throw PostgresError(kind: .connection, message: message)
        }
        handle = connection
        // Notices (e.g. "relation already exists, skipping") are not for the user's terminal.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
    }

    deinit { close() }

    /// Closes the connection; later calls fail with a connection error. Safe to call twice.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// The server process serving this connection.
    public var backendPID: Int32 { handle.map { PQbackendPID($0) } ?? 0 }

    /// True while the connection is usable.
    public var isOpen: Bool { handle.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// Whether a transaction block is open (`BEGIN` without `COMMIT`/`ROLLBACK`), or begun
    /// lazily (``transaction(maxAttempts:isolation:lazyBegin:_:)``) and not yet sent.
    public var inTransaction: Bool { pendingBegin != nil || serverInTransaction }

    /// Whether the server has a transaction block open on this connection.
    private var serverInTransaction: Bool {
        guard let handle else { return false }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// The `BEGIN` of a lazily begun transaction, until the first round trip carries it.
    private var pendingBegin: String?

    /// Statements queued by ``sendWithNext(_:)``, until the next round trip carries them.
    private var deferred: [String] = []

    /// Queues `sql` (a statement without parameters, e.g. `SAVEPOINT name` or `RELEASE
    /// SAVEPOINT name`) to go first in this connection's next round trip, after a lazily begun
    /// transaction's `BEGIN`, instead of costing a round trip of its own. If it fails, that
    /// round trip fails with its error and runs nothing after it. ``rollback()`` forgets it.
    public func sendWithNext(_ sql: String) {
        deferred.append(sql)
    }

    /// Whether statements wait for the next round trip (a pending `BEGIN` or deferred ones).
    private var hasPrefix: Bool { pendingBegin != nil || !deferred.isEmpty }

    /// The pending `BEGIN` and the deferred statements, in order, taken off the connection.
    private func takePrefix() -> [Statement] {
        var prefix = pendingBegin.map { [Statement($0)] } ?? []
        prefix += deferred.map { Statement($0) }
        pendingBegin = nil
        deferred = []
        return prefix
    }

    /// Sends the pending `BEGIN` and the deferred statements on their own (for calls that
    /// cannot carry them).
    private func sendQueued() throws {
        let prefix = takePrefix()
        if !prefix.isEmpty { _ = try send(pipeline: prefix) }
    }

    // MARK: Queries

    /// Runs one statement with parameters `$1…$n` and returns all its rows.
    /// - Throws: ``PostgresError``.
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresBindable] = []) throws -> QueryResult {
        if hasPrefix { return try pipeline([Statement(sql, parameters)])[0] }
        let connection = try open()
        roundTrips += 1
        statementObserver?(Statement(sql, parameters))
        let result = Connection.withParameters(parameters) { count, values in
            PQexecParams(connection, sql, count, nil, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        return try Connection.check(result, connection)
    }

    /// Names of the statements prepared on this connection (by ``queryPrepared(_:_:)`` and
    /// ``pipeline(_:)``), by SQL text.
    private var prepared: [String: String] = [:]
    /// Texts run once, unprepared: the second run prepares them.
    private var seenOnce: Set<String> = []
    /// The number in the name of the last statement prepared (`al_1`, `al_2`, …).
    private var lastPreparedNumber = 0
    /// At most this many texts are prepared on one connection; later texts run unprepared. Every
    /// text this package sends is one of a few fixed shapes (values are parameters), so the cap
    /// only guards the server's memory against a caller that builds many.
    public static let preparedStatementLimit = 512

    /// The name to prepare `sql` under on its second run, or `nil` on its first run (or once
    /// the limit is reached): a connection that runs a text once, as the CLI's do, never pays
    /// for preparing it.
    private func nameToPrepare(_ sql: String) -> String? {
        guard prepared.count < Connection.preparedStatementLimit, !seenOnce.insert(sql).inserted else { return nil }
        lastPreparedNumber += 1
        return "al_\(lastPreparedNumber)"
    }

    /// How many statements are prepared on this connection (for tests).
    public var preparedStatementCount: Int { prepared.count }

    /// ``query(_:_:)`` through a named prepared statement, prepared on this connection the second
    /// time this SQL text is run: later runs skip parsing, and once PostgreSQL settles on a
    /// generic plan (after five runs, when it is no worse), planning too. For the hot reads
    /// whose text is one of a few shapes; never for text that varies with user input (values
    /// are parameters anyway). Prepared statements outlive transactions, and PostgreSQL replans
    /// them when a table they read is replaced.
    @discardableResult
    public func queryPrepared(_ sql: String, _ parameters: [any PostgresBindable] = []) throws -> QueryResult {
        if hasPrefix { return try pipeline([Statement(sql, parameters)])[0] }
        let name: String
        if let known = prepared[sql] {
            name = known
        } else if let fresh = nameToPrepare(sql) {
            let connection = try open()
            roundTrips += 1
            let result = PQprepare(connection, fresh, sql, 0, nil)
            defer { PQclear(result) }
            _ = try Connection.check(result, connection)
            prepared[sql] = fresh
            name = fresh
        } else {
            return try query(sql, parameters)
        }
        let connection = try open()
        roundTrips += 1
        statementObserver?(Statement(sql, parameters))
        let result = Connection.withParameters(parameters) { count, values in
            PQexecPrepared(connection, name, count, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        return try Connection.check(result, connection)
    }

    /// Runs a script of one or more statements without parameters (simple query protocol), e.g.
    /// a migration file. Never pass user input here.
    public func execute(script: String) throws {
        try sendQueued()
        let connection = try open()
        guard PQsendQuery(connection, script) == 1 else { throw failure(connection) }
        var firstError: PostgresError?
        while let result = PQgetResult(connection) {
            if firstError == nil {
                do { _ = try Connection.check(result, connection) } catch let error as PostgresError {
                    firstError = error
                }
            }
            PQclear(result)
        }
        if let firstError { throw firstError }
    }

    /// Streams the rows of one statement in constant memory (libpq single-row mode).
    /// `body` sees each row once; if it throws, the statement is cancelled and the error rethrown.
    public func stream(
        _ sql: String, _ parameters: [any PostgresBindable] = [], _ body: (Row) throws -> Void
    ) throws {
        try sendQueued()
        let connection = try open()
        roundTrips += 1
        let sent = Connection.withParameters(parameters) { count, values in
            PQsendQueryParams(connection, sql, count, nil, values, nil, nil, 0)
        }
        guard sent == 1 else { throw failure(connection) }
        PQsetSingleRowMode(connection)
        var firstError: Error?
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            guard firstError == nil else { continue }
            switch PQresultStatus(result) {
            case PGRES_SINGLE_TUPLE:
                do { try body(Connection.row(result, 0)) } catch {
                    firstError = error
                    cancel(connection)
                }
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                break
            default:
                firstError = PostgresError.from(result: result, connection: connection)
            }
        }
        if let firstError { throw firstError }
    }

    /// Sends all statements at once (libpq pipeline mode) and waits for one sync: many small
    /// statements cost about one round trip. Statements run in order; after the first failure
    /// the rest are skipped and that failure is thrown. Outside a transaction each statement
    /// commits on its own, so wrap the call in ``transaction(maxAttempts:isolation:lazyBegin:_:)``
    /// for atomicity. A lazily begun transaction's `BEGIN` and the statements queued by
    /// ``sendWithNext(_:)`` go first in the same round trip.
    public func pipeline(_ statements: [Statement]) throws -> [QueryResult] {
        guard !statements.isEmpty else { return [] }
        let prefix = takePrefix()
        guard !prefix.isEmpty else { return try send(pipeline: statements) }
        return Array(try send(pipeline: prefix + statements).dropFirst(prefix.count))
    }

    /// Sends `statements` in pipeline mode. Each text runs as ``queryPrepared(_:_:)`` would:
    /// unprepared the first time this connection sees it, prepared (in the same pipeline, just
    /// before it runs) the second time, through its prepared statement after that. A text is
    /// taken as prepared only once the server has answered its `Parse`: one skipped because an
    /// earlier statement failed is prepared on a later run.
    private func send(pipeline statements: [Statement]) throws -> [QueryResult] {
        let connection = try open()
        roundTrips += 1
        guard PQenterPipelineMode(connection) == 1 else { throw failure(connection) }
        defer { PQexitPipelineMode(connection) }
        /// Per statement, the name of the statement prepared for it in this pipeline.
        var preparing: [String?] = []
        var preparedHere: [String: String] = [:]
        for statement in statements {
            statementObserver?(statement)
            var name = prepared[statement.sql] ?? preparedHere[statement.sql]
            var fresh: String?
            if name == nil, let new = nameToPrepare(statement.sql) {
                guard PQsendPrepare(connection, new, statement.sql, 0, nil) == 1 else { throw failure(connection) }
                preparedHere[statement.sql] = new
                (name, fresh) = (new, new)
            }
            preparing.append(fresh)
            let sent = Connection.withParameters(statement.parameters) { count, values in
                if let name { return PQsendQueryPrepared(connection, name, count, values, nil, nil, 0) }
                return PQsendQueryParams(connection, statement.sql, count, nil, values, nil, nil, 0)
            }
            guard sent == 1 else { throw failure(connection) }
        }
        guard PQpipelineSync(connection) == 1 else { throw failure(connection) }
        var results: [QueryResult] = []
        var firstError: (any Error)?
        /// Reads the results of one sent command up to its terminating null; `true` when it ran.
        func collect(keep: Bool) -> Bool {
            var ran = false
            while let result = PQgetResult(connection) {
                defer { PQclear(result) }
                let status = PQresultStatus(result)
                if status == PGRES_PIPELINE_ABORTED { continue }
                do {
                    let checked = try Connection.check(result, connection)
                    ran = true
                    if keep { results.append(checked) }
                } catch {
                    if firstError == nil { firstError = error }
                }
            }
            return ran
        }
        for (statement, fresh) in zip(statements, preparing) {
            if let fresh {
                if collect(keep: false) { prepared[statement.sql] = fresh }
                if !isOpen { break }
            }
            _ = collect(keep: true)
            if !isOpen { break }
        }
        // The sync point.
        if isOpen, let sync = PQgetResult(connection) { PQclear(sync) }
        if let firstError { throw firstError }
        guard results.count == statements.count else {
            throw PostgresError(kind: .connection, message: Connection.lastError(connection))
        }
        return results
    }

    // MARK: Transactions

    /// Runs `body` inside `BEGIN … COMMIT`. On a serialization failure or deadlock the whole
    /// transaction is rolled back and run again, up to `maxAttempts` times; any other error rolls
    /// back and is rethrown at once.
    ///
    /// With `lazyBegin`, `BEGIN` is not sent on its own: the body's first statement carries it
    /// (in one pipeline, one round trip). The body may end the transaction itself by sending
    /// `COMMIT` last in its final pipeline; then nothing more is sent.
    /// - Throws: the body's error, or the last ``PostgresError`` when every attempt failed.
    public func transaction<T>(
        maxAttempts: Int = 5, isolation: String = "READ COMMITTED", lazyBegin: Bool = false,
        _ body: (Connection) throws -> T
    ) throws -> T {
        precondition(["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"].contains(isolation))
        var attempt = 0
        while true {
            attempt += 1
            if lazyBegin { pendingBegin = "BEGIN ISOLATION LEVEL " + isolation } else {
                try query("BEGIN ISOLATION LEVEL " + isolation)
            }
            do {
                let value = try body(self)
                if pendingBegin != nil, deferred.isEmpty {
                    pendingBegin = nil  // nothing was sent: nothing to commit
                } else if inTransaction {
                    try query("COMMIT")
                }
                return value
            } catch let error as PostgresError where error.isRetryable && attempt < maxAttempts {
                try? rollback()
                // Back off a little, with jitter, so that colliding writers spread out.
                usleep(UInt32.random(in: 1_000...(5_000 * UInt32(attempt))))
            } catch {
                try? rollback()
                throw error
            }
        }
    }

    /// Abandons the transaction: forgets a lazily begun transaction's `BEGIN` and the statements
    /// queued by ``sendWithNext(_:)``, and rolls back a transaction open on the server.
    public func rollback() throws {
        pendingBegin = nil
        deferred = []
        if serverInTransaction { try query("ROLLBACK") }
    }

    // MARK: COPY

    /// Sends `sql` (one or more statements without parameters, e.g. `CREATE INDEX` built by the
    /// server from trusted names) and returns at once, so that several connections can work at
    /// the same time; ``finishSent()`` waits for the outcome. Nothing else may run in between.
    public func send(_ sql: String) throws {
        try sendQueued()
        let connection = try open()
        guard PQsendQuery(connection, sql) == 1 else { throw failure(connection) }
    }

    /// Waits for what ``send(_:)`` sent and throws its first error.
    public func finishSent() throws {
        let connection = try open()
        var firstError: Error?
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            do { _ = try Connection.check(result, connection) } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
    }

    /// Bulk-loads rows with `COPY … FROM STDIN` (text format). `sql` must be such a COPY
    /// statement; each row holds one text value (or `nil` for NULL) per column. Not available
    /// inside ``pipeline(_:)``.
    /// - Returns: the number of rows loaded.
    @discardableResult
    public func copyIn(_ sql: String, rows: some Sequence<[String?]>) throws -> Int {
        try copyIn(sql) { send in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 16)
            for row in rows {
                Connection.appendCopyRow(row, to: &buffer)
                if buffer.count >= 1 << 16 {
                    try send(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            try send(buffer)
        }
    }

    /// Bulk-loads rows encoded by ``BinaryCopyRows`` with `COPY … FROM STDIN (FORMAT binary)`.
    /// Not available inside ``pipeline(_:)``.
    /// - Returns: the number of rows loaded.
    @discardableResult
    public func copyIn(_ sql: String, binary rows: BinaryCopyRows) throws -> Int {
        try copyIn(sql) { send in
            try send(BinaryCopyRows.header)
            try send(rows.bytes)
            try send(BinaryCopyRows.trailer)
        }
    }

    /// Starts the COPY `sql`, lets `write` send its data, ends it and returns the rows loaded.
    private func copyIn(_ sql: String, write: ((borrowing [UInt8]) throws -> Void) throws -> Void) throws -> Int {
        roundTrips += 1
        try startCopyIn(sql)
        do {
            try write { bytes in try putCopyData(bytes) }
        } catch {
            // End the COPY with an error so the connection stays usable.
            _ = try? endCopyIn(error: "copy aborted")
            throw error
        }
        return try endCopyIn(error: nil)
    }

    /// Sends `sql`, which must start a `COPY … FROM STDIN`.
    func startCopyIn(_ sql: String) throws {
        try sendQueued()
        let connection = try open()
        let start = PQexec(connection, sql)
        let status = start.map { PQresultStatus($0) }
        if status != PGRES_COPY_IN {
            defer { PQclear(start) }
            _ = try Connection.check(start, connection)
            throw PostgresError(kind: .client, message: "copyIn needs a COPY … FROM STDIN statement")
        }
        PQclear(start)
    }

    /// Sends COPY data.
    func putCopyData(_ bytes: borrowing [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        let connection = try open()
        let sent = bytes.withUnsafeBufferPointer { pointer in
            pointer.withMemoryRebound(to: CChar.self) { chars in
                PQputCopyData(connection, chars.baseAddress, Int32(chars.count))
            }
        }
        guard sent == 1 else { throw failure(connection) }
    }

    /// Ends the COPY (with `error`, the server discards it) and returns the rows loaded.
    func endCopyIn(error: String?) throws -> Int {
        let connection = try open()
        guard PQputCopyEnd(connection, error) == 1 else { throw failure(connection) }
        var firstError: PostgresError?
        var count = 0
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            do { count = try Connection.check(result, connection).affectedRows } catch let error as PostgresError {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError, error == nil { throw firstError }
        return count
    }

    /// Runs `sql`, a `COPY … TO STDOUT`, and hands `body` each of its data messages in order,
    /// in constant memory. PostgreSQL sends one message per row; in the binary format the
    /// header comes with the first row and the trailer on its own. If `body` throws, the COPY
    /// is cancelled, the rest of it read and dropped, and the error rethrown.
    /// Not available inside ``pipeline(_:)``.
    /// - Throws: ``PostgresError`` when the statement fails or is not a `COPY … TO STDOUT`.
    public func copyOut(_ sql: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try sendQueued()
        let connection = try open()
        let start = PQexec(connection, sql)
        if start.map({ PQresultStatus($0) }) != PGRES_COPY_OUT {
            defer { PQclear(start) }
            _ = try Connection.check(start, connection)
            throw PostgresError(kind: .client, message: "copyOut needs a COPY … TO STDOUT statement")
        }
        PQclear(start)
        var firstError: Error?
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(connection, &buffer, 0)
            if length == -1 { break }
            guard length > 0, let buffer else {
                // -2: the connection failed; the results below say how.
                if firstError == nil { firstError = failure(connection) }
                break
            }
            defer { PQfreemem(buffer) }
            guard firstError == nil else { continue }
            do { try body(UnsafeRawBufferPointer(start: buffer, count: Int(length))) } catch {
                firstError = error
                cancel(connection)
            }
        }
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            if firstError == nil, PQresultStatus(result) != PGRES_COMMAND_OK {
                firstError = PostgresError.from(result: result, connection: connection)
            }
        }
        if let firstError { throw firstError }
    }

    static func appendCopyRow(_ row: [String?], to buffer: inout [UInt8]) {
        for (index, value) in row.enumerated() {
            if index > 0 { buffer.append(0x09) }
            guard let value else {
                buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
                continue
            }
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x09: buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case 0x0A: buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0D: buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                default: buffer.append(byte)
                }
            }
        }
        buffer.append(0x0A)
    }

    // MARK: LISTEN / NOTIFY

    /// Subscribes this connection to `channel`.
    public func listen(_ channel: String) throws {
        try query("LISTEN " + (try escapeIdentifier(channel)))
    }

    /// Sends a notification (`pg_notify`, so the payload is a parameter).
    public func notify(_ channel: String, payload: String = "") throws {
        try query("SELECT pg_notify($1, $2)", [channel, payload])
    }

    /// Returns notifications already received, waiting up to `timeoutMilliseconds` for the first
    /// one when none is pending. An empty array means the wait timed out.
    public func notifications(timeoutMilliseconds: Int32) throws -> [Notification] {
        let connection = try open()
        var received = try drainNotifications(connection)
        if !received.isEmpty { return received }
        var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, timeoutMilliseconds)
        if ready < 0 && errno != EINTR {
            throw PostgresError(kind: .client, message: "poll failed: errno \(errno)")
        }
        received = try drainNotifications(connection)
        return received
    }

    private func drainNotifications(_ connection: OpaquePointer) throws -> [Notification] {
        guard PQconsumeInput(connection) == 1 else { throw failure(connection) }
        var received: [Notification] = []
        while let notice = PQnotifies(connection) {
            received.append(
                Notification(
                    channel: String(cString: notice.pointee.relname), payload: String(cString: notice.pointee.extra),
                    senderPID: notice.pointee.be_pid))
            PQfreemem(notice)
        }
        return received
    }

    // MARK: Helpers

    /// Quotes an SQL identifier (role, database, channel names that are not user input).
    /// `text` quoted as an SQL string literal (`PQescapeLiteral`), for the few statements that
    /// take no parameters, such as `COPY … TO 'file'`.
    public func escapeLiteral(_ text: String) throws -> String {
        let connection = try open()
        guard let escaped = PQescapeLiteral(connection, text, text.utf8.count) else { throw failure(connection) }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    public func escapeIdentifier(_ identifier: String) throws -> String {
        let connection = try open()
        guard let escaped = PQescapeIdentifier(connection, identifier, identifier.utf8.count) else {
            throw failure(connection)
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    private func open() throws -> OpaquePointer {
        guard let handle else { throw PostgresError(kind: .connection, message: "the connection is closed") }
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(kind: .connection, message: Connection.lastError(handle))
        }
        return handle
    }

    private func failure(_ connection: OpaquePointer) -> PostgresError {
        let lost = PQstatus(connection) == CONNECTION_BAD
        return PostgresError(kind: lost ? .connection : .client, message: Connection.lastError(connection))
    }

    private func cancel(_ connection: OpaquePointer) {
        guard let cancel = PQgetCancel(connection) else { return }
        var errorBuffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancel, &errorBuffer, Int32(errorBuffer.count))
        PQfreeCancel(cancel)
    }

    static func lastError(_ connection: OpaquePointer) -> String {
        let message = PQerrorMessage(connection).map { String(cString: $0) } ?? ""
        return oneLine(message.isEmpty ? "connection failed" : message)
    }

    /// libpq messages span lines ("connection to server … failed: …\n\tIs the server running…").
    static func oneLine(_ message: String) -> String {
        message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters() }.filter { !$0.isEmpty }
            .joined(separator: "; ")
    }

    /// Checks a result's status and copies its rows out.
    static func check(_ result: OpaquePointer?, _ connection: OpaquePointer) throws -> QueryResult {
        guard let result else {
            throw PostgresError(kind: .connection, message: lastError(connection))
        }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_SINGLE_TUPLE, PGRES_EMPTY_QUERY:
            let columnCount = Int(PQnfields(result))
            let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
            let rows = (0..<Int(PQntuples(result))).map { row(result, Int32($0)) }
            let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
            return QueryResult(columns: columns, rows: rows, affectedRows: affected)
        default:
            throw PostgresError.from(result: result, connection: connection)
        }
    }

    static func row(_ result: OpaquePointer, _ index: Int32) -> Row {
        let columnCount = PQnfields(result)
        var values: [String?] = []
        values.reserveCapacity(Int(columnCount))
        for column in 0..<columnCount {
            if PQgetisnull(result, index, column) == 1 {
                values.append(nil)
            } else {
                values.append(String(cString: PQgetvalue(result, index, column)))
            }
        }
        return Row(values: values)
    }

    static func withParameters<R>(
        _ parameters: [any PostgresBindable], _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> R
    ) -> R {
        let texts = parameters.map { $0.postgresText }
        return withOptionalCStrings(texts) { pointers in body(Int32(texts.count), pointers) }
    }

    /// A NULL-terminated array of C strings, as `PQconnectdbParams` wants.
    static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        withOptionalCStrings(strings.map { Optional($0) } + [nil], body)
    }

    /// Copies each string into one C buffer and passes stable pointers (NULL for `nil`).
    static func withOptionalCStrings<R>(
        _ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R
    ) -> R {
        if strings.isEmpty { return body(nil) }
        var storage: [CChar] = []
        var offsets: [Int?] = []
        for string in strings {
            if let string {
                offsets.append(storage.count)
                storage.append(contentsOf: string.utf8.map { CChar(bitPattern: $0) })
                storage.append(0)
            } else {
                offsets.append(nil)
            }
        }
        return storage.withUnsafeBufferPointer { buffer in
            let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset.flatMap { offset in buffer.baseAddress.map { $0 + offset } }
            }
            return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        var text = self
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
