import AccessModel
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import LedgerService
import Logging
import NIOCore
import Synchronization
import TestSupport
import Testing

/// A loopback HTTP receiver for webhook deliveries (SPEC §8), in process: Hummingbird on
/// 127.0.0.1, port 0. Each webhook posts to `/hook/NAME`; a script per name decides the answer
/// (fail the first N with 500, answer after a delay, or never answer). Every request is recorded
/// on arrival, with the status it is (or was going to be) answered with.
final class WebhookReceiver: Sendable {
    struct Script: Sendable {
        /// Answer 500 to this many requests first.
        var failFirst = 0
        /// Wait this long before answering.
        var delay: Duration = .zero
        /// Never answer (until the receiver stops, at most 120 s).
        var hang = false
    }

    struct Delivery: Sendable, CustomStringConvertible {
        var hook: String
        /// `X-AccessLedger-Position`.
        var position: Int64?
        var body: [UInt8]
        /// `X-AccessLedger-Signature`.
        var signature: String?
        /// What the receiver answers (or would have answered).
        var status: Int
        var at: ContinuousClock.Instant
        var bodyText: String { String(decoding: body, as: UTF8.self) }
        var description: String { "\(hook)@\(position.map(String.init) ?? "?")→\(status)" }
    }

    private struct State {
        var scripts: [String: Script]
        var deliveries: [Delivery] = []
        var counts: [String: Int] = [:]
        var port: Int?
        var stopped = false
    }

    private let state: Mutex<State>
    private let task = Mutex<Task<Void, Never>?>(nil)

    private init(scripts: [String: Script]) { state = Mutex(State(scripts: scripts)) }

    var port: Int { state.withLock { $0.port ?? 0 } }
    func url(_ hook: String) -> String { "http://127.0.0.1:\(port)/hook/\(hook)" }
    private var stopped: Bool { state.withLock { $0.stopped } }

    /// Every request for `hook`, in arrival order.
    func deliveries(_ hook: String) -> [Delivery] { state.withLock { $0.deliveries.filter { $0.hook == hook } } }

    func setScript(_ hook: String, _ script: Script) { state.withLock { $0.scripts[hook] = script } }

    /// Starts the receiver and waits (at most 10 s) until it listens.
    static func start(_ scripts: [String: Script] = [:]) async throws -> WebhookReceiver {
        let receiver = WebhookReceiver(scripts: scripts)
        let router = Router(context: BasicRequestContext.self)
        router.post("/hook/{name}") { request, context -> Response in
            let name = context.parameters.get("name") ?? ""
            var request = request
            let buffer = try await request.collectBody(upTo: 4 << 20)
            let body = Array(buffer.readableBytesView)
            let position = WebhookReceiver.header(request, "x-accessledger-position").flatMap { Int64($0) }
            let signature = WebhookReceiver.header(request, "x-accessledger-signature")
            let answer = receiver.arrive(hook: name, position: position, body: body, signature: signature)
            if answer.hang {
                let deadline = ContinuousClock.now + .seconds(120)
                while !receiver.stopped && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
                return Response(status: .serviceUnavailable)
            }
            if answer.delay > .zero { try await Task.sleep(for: answer.delay) }
            return Response(status: answer.status)
        }
        var logger = Logger(label: "webhook-receiver")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port
                receiver.state.withLock { $0.port = port }
            }, logger: logger)
        receiver.task.withLock { $0 = Task { try? await app.run() } }
        let deadline = ContinuousClock.now + .seconds(60)
        while receiver.state.withLock({ $0.port == nil }) {
            guard ContinuousClock.now < deadline else {
                receiver.stop()
                throw TestSetupError("the webhook receiver did not start listening within 60 s")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return receiver
    }

    private static func header(_ request: Request, _ lowercased: String) -> String? {
        request.headers.first { $0.name.canonicalName == lowercased }?.value
    }

    /// What to do with one request: recorded here, with the answer the script gives.
    private func arrive(hook: String, position: Int64?, body: [UInt8], signature: String?) -> Answer {
        state.withLock { state in
            let script = state.scripts[hook] ?? Script()
            let count = state.counts[hook, default: 0]
            state.counts[hook] = count + 1
            let status = script.hang ? 0 : (count < script.failFirst ? 500 : 200)
            state.deliveries.append(
                Delivery(
                    hook: hook, position: position, body: body, signature: signature, status: status,
                    at: .now))
            return Answer(hang: script.hang, delay: script.delay, status: status == 500 ? .internalServerError : .ok)
        }
    }

    private struct Answer {
        var hang: Bool
        var delay: Duration
        var status: HTTPResponse.Status
    }

    /// Stops listening and ends requests held open.
    func stop() {
        state.withLock { $0.stopped = true }
        task.withLock { $0?.cancel() }
    }
}

// MARK: - Checks of deliveries

enum FeedChecks {
    /// Checks one webhook's deliveries against the positions it should receive, in order:
    /// - every request carries a valid signature over its body, and its position header matches
    ///   the body's `event.position` and `webhook` is the name;
    /// - the positions requested never go back, and with repeats removed they are exactly
    ///   `expected`;
    /// - a position is requested again only after a failed attempt, except for at most
    ///   `unansweredRepeats` positions (an attempt in flight when the service or the database went
    ///   away).
    /// Returns the bodies' events (one per expected position, the first successful attempt).
    @discardableResult
    static func expectDeliveries(
        _ deliveries: [WebhookReceiver.Delivery], webhook: String, secret: String, expected: [Int64],
        allowedRepeatsAfterSuccess: Int = 0, sourceLocation: SourceLocation = #_sourceLocation
    ) -> [Int64: JSONValue] {
        var events: [Int64: JSONValue] = [:]
        for delivery in deliveries {
            #expect(
                delivery.signature == WebhookSecret.signature(of: delivery.body, secret: secret),
                "bad signature on \(delivery)", sourceLocation: sourceLocation)
            guard let body = try? JSONValue.parse(delivery.bodyText) else {
                Issue.record("body is not JSON: \(delivery.bodyText)", sourceLocation: sourceLocation)
                continue
            }
            #expect(
                body.objectValue?.keys.sorted() == ["event", "webhook"], "\(delivery.bodyText)",
                sourceLocation: sourceLocation)
            #expect(body["webhook"]?.stringValue == webhook, sourceLocation: sourceLocation)
            #expect(
                body["event"]?["position"]?.intValue == delivery.position, "\(delivery)",
                sourceLocation: sourceLocation)
            if let position = delivery.position, events[position] == nil, delivery.status == 200 {
                events[position] = body["event"]
            }
        }
        let positions = deliveries.compactMap(\.position)
        #expect(positions.count == deliveries.count, "a request without a position", sourceLocation: sourceLocation)
        #expect(positions == positions.sorted(), "out of order: \(positions)", sourceLocation: sourceLocation)
        var distinct: [Int64] = []
        for position in positions where distinct.last != position { distinct.append(position) }
        #expect(distinct == expected, "delivered \(distinct), expected \(expected)", sourceLocation: sourceLocation)
        var repeatsAfterSuccess = 0
        for (index, delivery) in deliveries.enumerated() where index > 0 {
            let previous = deliveries[index - 1]
            if previous.position == delivery.position && previous.status == 200 { repeatsAfterSuccess += 1 }
        }
        #expect(
            repeatsAfterSuccess <= allowedRepeatsAfterSuccess,
            "\(repeatsAfterSuccess) repeats of a delivery already answered 2xx: \(deliveries)",
            sourceLocation: sourceLocation)
        return events
    }

    /// The positions requested again right after an attempt answered 2xx.
    static func positionsRepeatedAfterSuccess(_ deliveries: [WebhookReceiver.Delivery]) -> [Int64] {
        var repeated: [Int64] = []
        for (index, delivery) in deliveries.enumerated() where index > 0 {
            let previous = deliveries[index - 1]
            if previous.position == delivery.position, previous.status == 200, let position = delivery.position,
                repeated.last != position
            {
                repeated.append(position)
            }
        }
        return repeated
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
    static func eventually(
        timeout: Duration, _ condition: () async throws -> Bool
    ) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            if try await condition() { return true }
            if ContinuousClock.now > deadline { return false }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}

// MARK: - The CLI side of webhooks

extension ServerProcess.CLIRunner {
    /// `webhooks add NAME --url URL [--types …]`, returning the secret (the last stdout line).
    func addWebhook(_ name: String, url: String, types: [String] = []) throws -> String {
        var arguments = ["webhooks", "add", name, "--url", url]
        if !types.isEmpty { arguments += ["--types", types.joined(separator: ",")] }
        let out = try ok(arguments)
        guard let secret = out.split(separator: "\n").last.map(String.init), secret.hasPrefix("whsec_") else {
            throw TestSetupError("no secret in the output of webhooks add: \(out)")
        }
        return secret
    }

    /// The row of `name` in `webhooks list -o json`.
    func webhookStatus(_ name: String) throws -> JSONValue? {
        let list = try JSONValue.parse(try ok(["webhooks", "list", "-o", "json"]))
        return list.arrayValue?.first { $0["name"]?.stringValue == name }
    }

    /// The positions of the events of `types` after `after` (all types when empty), from the log.
    func positions(after: Int64, types: Set<String> = []) throws -> [Int64] {
        try auditLog().compactMap { entry in
            guard let position = entry["position"]?.intValue, position > after,
                let type = entry["type"]?.stringValue, types.isEmpty || types.contains(type)
            else { return nil }
            return position
        }
    }
}

// MARK: - Server-sent events

/// One event read from `/api/v1/events/stream`: its lines, in order, as sent.
struct StreamedEvent: Sendable {
    var lines: [String]
    var id: String? { field("id") }
    var event: String? { field("event") }
    var data: String? { field("data") }
    func field(_ name: String) -> String? {
        lines.first { $0.hasPrefix(name + ": ") }.map { String($0.dropFirst(name.count + 2)) }
    }
}

enum EventStreamClient {
    struct Result: Sendable {
        var status: Int
        var contentType: String?
        var events: [StreamedEvent]
        /// Comment lines (`: …`) seen.
        var comments: [String]
    }

    /// Opens `path` on the service, reads until `count` events arrived (at most `timeout`), then
    /// drops the connection.
    static func read(
        _ client: HTTPClient, baseURL: String, path: String, token: String, lastEventID: String? = nil,
        count: Int, timeout: Duration = .seconds(20)
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                var request = HTTPClientRequest(url: baseURL + path)
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
                request.headers.add(name: "Accept", value: "text/event-stream")
                if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
                let response = try await client.execute(request, timeout: .seconds(60))
                var result = Result(
                    status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
                    events: [], comments: [])
                guard result.status == 200 else { return result }
                var pending = ""
                for try await chunk in response.body {
                    pending += String(buffer: chunk)
                    while let range = pending.range(of: "\n\n") {
                        let block = String(pending[..<range.lowerBound])
                        pending = String(pending[range.upperBound...])
                        let lines = block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                        let comments = lines.filter { $0.hasPrefix(":") }
                        result.comments += comments
                        let fields = lines.filter { !$0.hasPrefix(":") }
                        if !fields.isEmpty { result.events.append(StreamedEvent(lines: fields)) }
                        if result.events.count >= count { return result }
                    }
                }
                return result
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                throw TestSetupError("the event stream \(path) gave fewer than \(count) events within \(timeout)")
            }
            return result
        }
    }
}
