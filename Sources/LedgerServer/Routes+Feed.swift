import AccessModel
import HTTPTypes
import Hummingbird
import LedgerService
import LedgerStore
import NIOCore
import ServiceLifecycle

/// Following the ledger (SPEC §8): the event feed (long poll and server-sent events), the
/// restart queue, and webhooks. Site `owner`, `user-admin` and `auditor` read them; adding and
/// removing webhooks is for `owner` and `user-admin` (the rules decide).
extension LedgerAPI {
    static let pageLimit = (default: 100, maximum: 1_000)
    static let maximumWait = 60
    static let streamHeartbeat = Duration.seconds(15)

    func addFeedRoutes(to router: Router<LedgerContext>, feed: EventFeed) {
        let api = self
        router.get("/api/v1/events") { request, _ in
            let query = try Query(request, allowed: ["after", "limit", "wait"])
            let after = try query["after"].map { try Input.position($0, name: "after") } ?? 0
            let limit =
                try LedgerAPI.bounded(query["limit"], name: "limit", in: 1...LedgerAPI.pageLimit.maximum)
                ?? LedgerAPI.pageLimit.default
            let wait = try LedgerAPI.bounded(query["wait"], name: "wait", in: 0...LedgerAPI.maximumWait) ?? 0
            @Sendable func page() async throws -> ([RecordedEvent], Int64) {
                try await api.read(request) { principal, ledger in
                    try LedgerAPI.requireAuditor(principal)
                    let store = EventStore(connection: ledger.connection)
                    return (try store.events(after: after, limit: limit), try store.headPosition())
                }
            }
            var (events, head) = try await page()
            if events.isEmpty, wait > 0, await feed.wait(after: after, timeout: .seconds(wait)) {
                (events, head) = try await page()
            }
            return JSONResponse.make(status: 200, json: JSONShapes.eventPage(events, head: head))
        }
        router.get("/api/v1/events/stream") { request, _ in
            let query = try Query(request, allowed: ["after"])
            let resume = try request.headers[HTTPField.Name.lastEventID].map {
                try Input.position($0, name: "Last-Event-ID")
            }
            let after = try resume ?? query["after"].map { try Input.position($0, name: "after") } ?? 0
            try await api.read(request) { principal, _ in try LedgerAPI.requireAuditor(principal) }
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    // A shutdown of the service stops the feed, which ends every stream.
                    try await withGracefulShutdownHandler {
                        try await api.stream(after: after, feed: feed, to: &writer)
                    } onGracefulShutdown: {
                        feed.stop()
                    }
                    try await writer.finish(nil)
                })
        }
        router.get("/api/v1/pending-revocations") { request, _ in
            let point = try Query(request, allowed: ["at", "at_position"]).point()
            return try await api.readJSON(request) { principal, ledger in
                try LedgerAPI.requireAuditor(principal)
                return .array(try ledger.pendingRevocations(at: point).0.map(JSONShapes.pendingRevocation))
            }
        }
        router.get("/api/v1/webhooks") { request, _ in
            _ = try Query(request, allowed: [])
            return try await api.readJSON(request) { principal, ledger in
                try LedgerAPI.requireAuditor(principal)
                return .array(try ledger.webhookStatuses().map(JSONShapes.webhook))
            }
        }
        router.post("/api/v1/webhooks") { request, context in
            var request = request
            let body = try await JSONBody.read(&request, context: context, allowed: ["name", "url", "types"])
            let secret = WebhookSecret.generate()
            let name = try body.requiredString("name")
            let command = Command.addWebhook(
                name: name, url: try body.requiredString("url"), types: try body.strings("types") ?? [], secret: secret)
            // `{"webhook": {…as in the list}, "secret", "events"}`; an idempotency key keeps the
            // answer without the secret, which is stored only for signing.
            @Sendable func answer(_ outcome: CommandOutcome, secret: String?) -> OutputJSON {
                var webhook = OutputJSON.null
                for recorded in outcome.events {
                    guard case .webhookAdded(let record)? = try? LedgerEvent(recorded: recorded) else { continue }
                    webhook = JSONShapes.webhook(
                        WebhookStatus(
                            webhook: record, cursor: recorded.position, lag: 0, attempts: 0, lastError: nil,
                            lastAttemptAt: nil, deliveredAt: nil))
                }
                return .object([
                    ("webhook", webhook), ("secret", .string(secret)),
                    ("events", .array(outcome.events.map(JSONShapes.event))),
                ])
            }
            return try await api.mutate(
                request, body: body, commands: [command], status: 201, answer: { answer($0, secret: secret) },
                storedAnswer: { answer($0, secret: nil) })
        }
        router.delete("/api/v1/webhooks/{webhook}") { request, context in
            let name = try LedgerAPI.pathName(context, "webhook", kind: .webhook)
            var request = request
            let body = try await JSONBody.read(&request, context: context, allowed: [])
            return try await api.mutate(
                request, body: body, commands: [.removeWebhook(name: name)],
                check: { _, ledger in
                    guard try PostgresLedger(connection: ledger.connection).webhook(key: Name.key(name)) != nil else {
                        throw LedgerError.notFound("unknown webhook \(DisplayText.quoted(name))")
                    }
                })
        }
    }

    /// Writes the events after `after` as server-sent events, then each new one as it is
    /// appended, with a comment line every 15 s while idle; ends when the client goes away or the
    /// service shuts down.
    func stream(after: Int64, feed: EventFeed, to writer: inout any ResponseBodyWriter) async throws {
        var cursor = after
        while !Task.isCancelled && !feed.isStopped {
            let start = cursor
            let page = try await readers.run { connection in
                try EventStore(connection: connection).events(after: start, limit: LedgerAPI.pageLimit.maximum)
            }
            guard let last = page.last else {
                if await !feed.wait(after: cursor, timeout: LedgerAPI.streamHeartbeat), !Task.isCancelled {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                }
                continue
            }
            var text = ""
            for event in page {
                text +=
                    "id: \(event.position)\nevent: \(event.type)\ndata: \(JSONShapes.event(event).renderedCompact())\n\n"
            }
            try await writer.write(ByteBuffer(string: text))
            cursor = last.position
        }
    }

    /// An optional integer query parameter within `range`.
    /// - Throws: ``LedgerError/invalidInput(_:)`` naming the value and the range.
    static func bounded(_ text: String?, name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw LedgerError.invalidInput(
                "invalid \(name) \(DisplayText.quoted(text)): expected a whole number from \(range.lowerBound) to "
                    + "\(range.upperBound)")
        }
        return value
    }
}

extension HTTPField.Name {
    /// `Last-Event-ID`: where a reconnecting event-stream client resumes.
    static let lastEventID = HTTPField.Name.known("Last-Event-ID")
}
