import AccessModel
import Foundation
import HTTPTypes
import Hummingbird
import LedgerService
import LedgerStore
import NIOCore
import PostgresClient

/// The request context of the service: Hummingbird's core storage and a 1 MiB upload limit.
public struct LedgerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public init(source: ApplicationRequestContextSource) { coreContext = .init(source: source) }
    public var maxUploadSize: Int { LedgerAPI.maxBodySize }
}

/// What every route uses: authentication, reads on the reader threads, mutations through the
/// single writer, and the request's pieces (path names, query, JSON body) checked as the CLI
/// checks its flags.
struct LedgerAPI: Sendable {
    static let maxBodySize = 1 << 20

    let readers: ConnectionThreads
    let writer: CommandWriter
    let metrics: ServiceMetrics

    // MARK: Authentication

    /// The SHA-256 of the bearer secret.
    /// - Throws: ``ServiceError/unauthenticated`` for a missing header or one that is not
    ///   `Bearer al_` and 64 hex digits.
    static func bearerHash(_ request: Request) throws -> String {
        // The scheme is case-insensitive (RFC 9110); the secret is not.
        guard let header = request.headers[.authorization], header.prefix(7).lowercased() == "bearer ",
            TokenSecret.isWellFormed(header.dropFirst(7))
        else { throw ServiceError.unauthenticated }
        return TokenSecret.sha256Hex(header.dropFirst(7))
    }

    // MARK: Reads

    /// Authenticates the request and runs `body` on a reader thread, in one round trip more than
    /// the read itself.
    func read<T: Sendable>(_ request: Request, _ body: @escaping @Sendable (Principal, Ledger) throws -> T)
        async throws -> T
    {
        let hash = try LedgerAPI.bearerHash(request)
        return try await readers.run { connection in
            let ledger = Ledger(connection: connection)
            guard let principal = try ledger.authenticate(secretSHA256: hash) else {
                throw ServiceError.unauthenticated
            }
            return try body(principal, ledger)
        }
    }

    /// A read that answers JSON with 200.
    func readJSON(_ request: Request, _ body: @escaping @Sendable (Principal, Ledger) throws -> OutputJSON)
        async throws -> Response
    {
        JSONResponse.make(status: 200, json: try await read(request, body))
    }

    /// Refuses a principal who may not read the audit side (403).
    static func requireAuditor(_ principal: Principal) throws {
        guard principal.readsEverything else {
            throw LedgerError.notPermitted(
                "user \(DisplayText.quoted(principal.user.username)) (site role \(principal.user.role.rawValue)) "
                    + "may not read this: it needs site role owner, user-admin or auditor")
        }
    }

    // MARK: Mutations

    /// Sends `commands` (applied as one) to the writer with the body's `reason` and the
    /// request's `Idempotency-Key`, and answers `answer` of what was appended.
    func mutate(
        _ request: Request, body: JSONBody, commands: [Command], status: Int = 200,
        check: (@Sendable (Principal, Ledger) throws -> Void)? = nil,
        answer: (@Sendable (CommandOutcome) -> OutputJSON)? = nil,
        storedAnswer: (@Sendable (CommandOutcome) -> OutputJSON)? = nil
    ) async throws -> Response {
        let hash = try LedgerAPI.bearerHash(request)
        let idempotency = try request.headers[.idempotencyKey].map {
            try IdempotencyKey(header: $0, method: request.method.rawValue, path: request.uri.path, body: body.bytes)
        }
        let mutation = MutationRequest(
            commands: commands, secretSHA256: hash, reason: try body.reason, idempotency: idempotency,
            check: check, answer: answer ?? JSONShapes.mutation, storedAnswer: storedAnswer, successStatus: status)
        let result = try await writer.submit(mutation)
        var headers = HTTPFields()
        if result.replayed { headers[.idempotentReplayed] = "true" }
        return JSONResponse.make(status: result.status, text: result.body, headers: headers)
    }

    // MARK: Request pieces

    /// A name from the path, checked as in SPEC §1 (a `%2F` or `..` is not a name).
    static func pathName(_ context: LedgerContext, _ key: String, kind: NameKind) throws -> String {
        let value = context.parameters.get(key) ?? ""
        guard Name.isValid(value) else {
            throw LedgerError.invalidInput(
                "invalid \(kind.rawValue) name \(DisplayText.quoted(value)) in the path: \(Name.ruleDescription)")
        }
        return value
    }

    /// `OWNER/NAME` from the path's two halves.
    static func pathWorkspace(_ context: LedgerContext) throws -> String {
        let owner = try pathName(context, "owner", kind: .user)
        let name = try pathName(context, "name", kind: .workspace)
        return owner + "/" + name
    }
}

/// The query string, decoded as forms are (`+` is a space, `%XX` a byte), each key at most once.
struct Query {
    private(set) var values: [String: String] = [:]

    /// - Throws: ``LedgerError/invalidInput(_:)`` for a repeated or unknown parameter.
    init(_ request: Request, allowed: Set<String>) throws {
        for pair in (request.uri.query ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let key = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            guard allowed.contains(key) else {
                let known = allowed.isEmpty ? "none" : allowed.sorted().joined(separator: ", ")
                throw LedgerError.invalidInput(
                    "unknown query parameter \(DisplayText.quoted(key)) (this route takes: \(known))")
            }
            guard values[key] == nil else {
                throw LedgerError.invalidInput("query parameter \(DisplayText.quoted(key)) is given more than once")
            }
            values[key] = value
        }
    }

    subscript(_ key: String) -> String? { values[key] }

    /// `at` or `at_position`: the point of the log a read asks about.
    func point() throws -> LogPoint? {
        try Input.point(at: self["at"], atPosition: self["at_position"], names: ("at", "at_position"))
    }
}

/// A JSON request body: one object whose keys are all known, with typed getters whose errors
/// name the field (`invalid_input`). Every mutating body may carry `reason`.
struct JSONBody: Sendable {
    let bytes: [UInt8]
    let members: [String: JSONValue]

    /// Reads the body (at most 1 MiB) and checks it is a JSON object of `allowed` keys (and
    /// `reason`); an empty body is an empty object.
    static func read(_ request: inout Request, context: LedgerContext, allowed: Set<String>) async throws -> JSONBody {
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: LedgerAPI.maxBodySize)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw ServiceError.payloadTooLarge
        }
        let bytes = Array(buffer.readableBytesView)
        guard !bytes.allSatisfy({ [0x20, 0x0A, 0x0D, 0x09].contains($0) }) else {
            return JSONBody(bytes: bytes, members: [:])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw LedgerError.invalidInput("the request body is not valid UTF-8")
        }
        let value: JSONValue
        do { value = try JSONValue.parse(text) } catch {
            throw LedgerError.invalidInput("the request body is not valid JSON: \(error)")
        }
        guard case .object(let members) = value else {
            throw LedgerError.invalidInput("the request body must be a JSON object")
        }
        let known = allowed.union(["reason"])
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw LedgerError.invalidInput(
                "unknown field \(DisplayText.quoted(unknown)) (this route takes: \(known.sorted().joined(separator: ", ")))"
            )
        }
        return JSONBody(bytes: bytes, members: members)
    }

    /// `reason`, recorded as `--reason` is.
    var reason: String? {
        get throws { try string("reason") }
    }

    func string(_ key: String) throws -> String? {
        switch members[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw LedgerError.invalidInput("field \(DisplayText.quoted(key)) must be a string")
        }
    }

    func requiredString(_ key: String) throws -> String {
        guard let value = try string(key) else {
            throw LedgerError.invalidInput("field \(DisplayText.quoted(key)) is required")
        }
        return value
    }

    func bool(_ key: String) throws -> Bool? {
        switch members[key] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        default: throw LedgerError.invalidInput("field \(DisplayText.quoted(key)) must be true or false")
        }
    }

    func strings(_ key: String) throws -> [String]? {
        switch members[key] {
        case nil, .null?: return nil
        case .array(let items)?:
            return try items.map {
                guard case .string(let value) = $0 else {
                    throw LedgerError.invalidInput("field \(DisplayText.quoted(key)) must be an array of strings")
                }
                return value
            }
        default: throw LedgerError.invalidInput("field \(DisplayText.quoted(key)) must be an array of strings")
        }
    }

    /// Names from a JSON array, each checked on its own (a comma is not a separator here).
    /// - Throws: ``LedgerError/invalidInput(_:)`` naming the first bad one.
    static func names(_ values: [String], field: String, kind: NameKind) throws -> [String] {
        for value in values where !Name.isValid(value) {
            throw LedgerError.invalidInput(
                "invalid \(kind.rawValue) name \(DisplayText.quoted(value)) in \(DisplayText.quoted(field)): "
                    + Name.ruleDescription)
        }
        return values
    }

    /// An object of strings (`user_roles`, `group_roles`), sorted by key.
    func stringMap(_ key: String) throws -> [(String, String)] {
        switch members[key] {
        case nil, .null?: return []
        case .object(let entries)?:
            return try entries.sorted { $0.key < $1.key }.map { name, value in
                guard case .string(let role) = value else {
                    throw LedgerError.invalidInput(
                        "field \(DisplayText.quoted(key)) must map names to roles (\"use\", \"admin\" or \"\")")
                }
                return (name, role)
            }
        default:
            throw LedgerError.invalidInput(
                "field \(DisplayText.quoted(key)) must map names to roles (\"use\", \"admin\" or \"\")")
        }
    }
}

extension HTTPField.Name {
    /// `Idempotency-Key` (SPEC §7).
    static let idempotencyKey = HTTPField.Name.known("Idempotency-Key")
    /// `Idempotent-Replayed: true` on an answer replayed from an idempotency key.
    static let idempotentReplayed = HTTPField.Name.known("Idempotent-Replayed")

    /// A header name spelled in this file, which is a valid token.
    static func known(_ name: String) -> HTTPField.Name {
        guard let field = HTTPField.Name(name) else { preconditionFailure("\(name) is a valid header name") }
        return field
    }
}
