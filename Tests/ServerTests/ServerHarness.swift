import AccessModel
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerServer
import LedgerService
import LedgerStore
import NIOCore
import PostgresClient
import TestSupport
import Testing

/// A fresh database with a bootstrapped site owner `admin` and a token for them, and the
/// service's router over it, driven in process by HummingbirdTesting.
struct ServerHarness {
    let db: TestDatabase
    let server: LedgerServer
    /// The secret of `admin/api`.
    let adminSecret: String

    static func make() throws -> ServerHarness {
        let db = try TestDatabase.create()
        let connection = try db.connectAsApp()
        defer { connection.close() }
        let ledger = Ledger(connection: connection)
        try ledger.execute(.createUser(username: "admin", serviceAccount: false, role: nil), actor: nil)
        let secret = try ServerHarness.token(for: "admin", name: "api", on: ledger)
        let conninfo = db.conninfo
        let server = LedgerServer(
            configuration: ServerConfiguration(readerThreads: 2, open: { try LedgerDatabase.open(.explicit(conninfo)) })
        )
        return ServerHarness(db: db, server: server, adminSecret: secret)
    }

    /// Creates a token through the library (as the CLI does) and returns its secret.
    static func token(for user: String, name: String, lifetime: String = "24h", on ledger: Ledger) throws -> String {
        let secret = TokenSecret.generate()
        try ledger.execute(
            .createToken(user: user, name: name, lifetime: lifetime, secretSHA256: TokenSecret.sha256Hex(secret)),
            actor: "admin")
        return secret
    }

    /// Runs a command as `actor` through the library.
    func cli(_ command: Command, as actor: String = "admin") throws {
        let connection = try db.connectAsApp()
        defer { connection.close() }
        try Ledger(connection: connection).execute(command, actor: actor)
    }

    /// A token for `user`, created by admin.
    func token(for user: String, name: String = "t", lifetime: String = "24h") throws -> String {
        let connection = try db.connectAsApp()
        defer { connection.close() }
        return try ServerHarness.token(for: user, name: name, lifetime: lifetime, on: Ledger(connection: connection))
    }

    /// The number of events in the log.
    func eventCount() throws -> Int64 {
        let connection = try db.connect()
        defer { connection.close() }
        return try connection.query("SELECT count(*) FROM ledger_events").first?.int64(0) ?? -1
    }

    /// Runs `body` with a test client of the router, then stops the server's threads and drops
    /// the database.
    func run(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        defer {
            server.shutdown()
            db.drop()
        }
        let app = Application(router: server.buildRouter())
        try await app.test(.router) { client in try await body(client) }
    }
}

/// A response's body as JSON and its pieces.
struct Answer {
    let status: Int
    let headers: HTTPFields
    let text: String

    var json: JSONValue? { try? JSONValue.parse(text) }
    var errorCode: String? { json?["error"]?["code"]?.stringValue }
    var errorMessage: String? { json?["error"]?["message"]?.stringValue }
}

extension TestClientProtocol {
    /// Sends a request with an optional bearer secret and body, and returns the answer.
    func send(
        _ method: HTTPRequest.Method, _ uri: String, secret: String? = nil, body: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> Answer {
        var headers = extra
        if let secret { headers[.authorization] = "Bearer " + secret }
        if body != nil { headers[.contentType] = "application/json" }
        let response = try await executeRequest(
            uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        return Answer(
            status: Int(response.status.code), headers: response.headers, text: String(buffer: response.body))
    }
}

/// Checks the SPEC §7 error body: exactly `{"error": {"code", "message"}}`, the code expected and
/// a message that names something.
func expectError(
    _ answer: Answer, _ status: Int, _ code: String, containing needle: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(answer.status == status, "\(answer.text)", sourceLocation: sourceLocation)
    #expect(
        answer.json?.objectValue.map { Set($0.keys) } == ["error"], "\(answer.text)", sourceLocation: sourceLocation)
    #expect(
        answer.json?["error"]?.objectValue.map { Set($0.keys) } == ["code", "message"], "\(answer.text)",
        sourceLocation: sourceLocation)
    #expect(answer.errorCode == code, "\(answer.text)", sourceLocation: sourceLocation)
    #expect(answer.errorMessage?.isEmpty == false, sourceLocation: sourceLocation)
    if let needle {
        #expect(answer.errorMessage?.contains(needle) == true, "\(answer.text)", sourceLocation: sourceLocation)
    }
}
