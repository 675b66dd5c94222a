import AccessModel
import AsyncHTTPClient
import Foundation
import LedgerService
import LedgerStore
import Logging
import NIOCore
import NIOHTTP1

/// Delivers events to webhooks while the service runs (SPEC §8): each webhook has a task of its
/// own, so a slow or failing receiver holds up no other. A task POSTs each matching event after
/// the webhook's cursor, in log order, as `{"webhook": NAME, "event": EVENT}` with
/// `X-AccessLedger-Position` and `X-AccessLedger-Signature: sha256=HEX` (HMAC-SHA256 of the body).
/// A 2xx moves the cursor on, in PostgreSQL; anything else, or no answer within 10 s, is tried
/// again after 1 s, 2 s, 4 s … at most 5 min apart, never skipping ahead. Delivery is at least
/// once (an answer lost after the receiver acted is sent again) and resumes from the cursor after
/// a restart of the service or of the database.
final class WebhookDelivery: Sendable {
    static let timeout = Duration.seconds(10)
    static let firstRetry = Duration.seconds(1)
    static let longestRetry = Duration.seconds(300)

    let readers: ConnectionThreads
    let feed: EventFeed
    let logger: Logger
    let client = HTTPClient(eventLoopGroupProvider: .singleton)

    init(readers: ConnectionThreads, feed: EventFeed, logger: Logger) {
        self.readers = readers
        self.feed = feed
        self.logger = logger
    }

    /// Runs until cancelled: keeps one task per webhook, started and stopped as webhooks are
    /// added and removed (checked whenever the log moves, and every 10 s).
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            var running: [String: Task<Void, Never>] = [:]
            var seen = feed.head
            while !Task.isCancelled && !feed.isStopped {
                if let targets = try? await readers.run({ try Ledger(connection: $0).webhookTargets() }) {
                    let wanted = Dictionary(uniqueKeysWithValues: targets.map { (Self.id($0), $0) })
                    for (id, task) in running where wanted[id] == nil {
                        task.cancel()
                        running[id] = nil
                    }
                    for (id, target) in wanted where running[id] == nil {
                        let task = Task { await self.deliver(target) }
                        running[id] = task
                        group.addTask { await task.value }
                    }
                }
                _ = await feed.wait(after: seen, timeout: .seconds(10))
                seen = feed.head
            }
            for task in running.values { task.cancel() }
        }
        try? await client.shutdown()
    }

    static func id(_ target: WebhookTarget) -> String { "\(target.webhook.key)@\(target.addedPosition)" }

    /// The loop of one webhook.
    func deliver(_ target: WebhookTarget) async {
        var cursor = target.cursor
        let key = target.webhook.key
        while !Task.isCancelled {
            let after = cursor
            guard
                let page = try? await readers.run({ connection in
                    try EventStore(connection: connection).events(after: after, limit: 100)
                })
            else {
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            guard let last = page.last else {
                _ = await feed.wait(after: cursor, timeout: .seconds(30))
                continue
            }
            for event in page where target.webhook.delivers(event.type) {
                guard await post(event, to: target) else { return }  // cancelled
                cursor = event.position
            }
            if cursor < last.position {
                // Events this webhook does not take: move past them too.
                let position = last.position
                _ = try? await readers.run { connection in
                    try Ledger(connection: connection).advanceWebhook(
                        key: key, addedPosition: target.addedPosition, to: position, delivered: false)
                }
                cursor = position
            }
        }
    }

    /// POSTs one event until a receiver answers 2xx and its cursor is stored, waiting longer
    /// after each failure. Returns false when cancelled first.
    func post(_ event: RecordedEvent, to target: WebhookTarget) async -> Bool {
        let body = Array(
            OutputJSON.object([("webhook", .string(target.webhook.name)), ("event", JSONShapes.event(event))])
                .renderedCompact().utf8)
        var delay = WebhookDelivery.firstRetry
        while !Task.isCancelled {
            var problem: String?
            do {
                var request = HTTPClientRequest(url: target.webhook.url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "User-Agent", value: "accessledger")
                request.headers.add(name: "X-AccessLedger-Position", value: String(event.position))
                request.headers.add(
                    name: "X-AccessLedger-Signature", value: WebhookSecret.signature(of: body, secret: target.secret))
                request.body = .bytes(ByteBuffer(bytes: body))
                let response = try await client.execute(request, timeout: .seconds(10))
                _ = try? await response.body.collect(upTo: 64 << 10)
                if (200..<300).contains(Int(response.status.code)) {
                    let advanced: Bool? = try? await readers.run { connection in
                        try Ledger(connection: connection).advanceWebhook(
                            key: target.webhook.key, addedPosition: target.addedPosition, to: event.position,
                            delivered: true)
                        return true
                    }
                    // Stored: on to the next. Not stored (the database is away): the event is
                    // sent again later, which at-least-once allows.
                    if advanced == true { return true }
                    problem = "delivered, but the cursor could not be stored"
                } else {
                    problem = "HTTP \(response.status.code)"
                }
            } catch {
                problem = "\(error)"
            }
            let message = problem ?? "unknown"
            logger.warning(
                "webhook delivery failed",
                metadata: ["webhook": "\(target.webhook.name)", "position": "\(event.position)", "error": "\(message)"])
            _ = try? await readers.run { connection in
                try Ledger(connection: connection).recordWebhookFailure(
                    key: target.webhook.key, addedPosition: target.addedPosition, error: message)
            }
            do { try await Task.sleep(for: delay) } catch { return false }
            delay = min(delay * 2, WebhookDelivery.longestRetry)
        }
        return false
    }
}
