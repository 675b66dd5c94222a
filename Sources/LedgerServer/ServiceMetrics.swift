import Foundation
import Hummingbird
import Logging
import Prometheus
import Synchronization

/// The service's Prometheus metrics (`GET /metrics`): requests by route, method and status, a
/// request-duration histogram by route, events appended, commits and the commands they held,
/// and (read at each scrape) the workspaces with pending revocations.
final class ServiceMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let events: Counter
    private let commits: Counter
    private let committedCommands: Counter
    let pendingWorkspaces: Gauge

    static let durationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    init() {
        events = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "accessledger", metricName: "events_appended", unitName: "total",
                helpText: "Events appended through the service"))
        commits = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "accessledger", metricName: "commits", unitName: "total",
                helpText: "Transactions committed by the writer (each holds one or more commands)"))
        committedCommands = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "accessledger", metricName: "committed_commands", unitName: "total",
                helpText: "Commands committed by the writer"))
        pendingWorkspaces = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "accessledger", metricName: "workspaces_pending_revocation", unitName: "",
                helpText: "Running workspaces on which someone is pending revocation (read at each scrape)"))
    }

    private struct RouteKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }
    private let requestCounters = Mutex<[RouteKey: Counter]>([:])
    private let requestTimers = Mutex<[String: DurationHistogram]>([:])

    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        let key = RouteKey(route: route, method: method, status: status)
        if let counter = requestCounters.withLock({ $0[key] }) {
            counter.increment()
        } else {
            let counter = makeRequestCounter(key)
            requestCounters.withLock { $0[key] = counter }
            counter.increment()
        }
        if let timer = requestTimers.withLock({ $0[route] }) {
            timer.record(duration)
        } else {
            let timer = makeRequestTimer(route)
            requestTimers.withLock { $0[route] = timer }
            timer.record(duration)
        }
    }

    private func makeRequestCounter(_ key: RouteKey) -> Counter {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "accessledger", metricName: "http_requests", unitName: "total",
                helpText: "HTTP requests by route, method and status"),
            labels: [("route", key.route), ("method", key.method), ("status", String(key.status))])
    }

    private func makeRequestTimer(_ route: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "accessledger", metricName: "http_request_duration", unitName: "seconds",
                helpText: "HTTP request duration by route"),
            labels: [("route", route)], buckets: ServiceMetrics.durationBuckets)
    }

    func eventsAppended(_ count: Int) { events.increment(by: Int64(count)) }

    func recordCommit(commands: Int, duration: Duration) {
        commits.increment()
        committedCommands.increment(by: Int64(commands))
    }

    /// The exposition text.
    func render() -> String { registry.emitToString() }
}

/// One log line per request (method, route, status, duration, request id) and the request
/// metrics. Neither ever sees a header: the `Authorization` header cannot reach a log.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = ErrorMiddleware<Context>.response(for: error, logger: context.logger)
        }
        let duration = ContinuousClock.now - start
        let route = context.endpointPath ?? "unmatched"
        metrics.recordRequest(
            route: route, method: request.method.rawValue, status: response.status.code, duration: duration)
        let microseconds = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        let fraction = String(microseconds % 1000 / 10)
        context.logger.info(
            "\(request.method.rawValue) \(route) \(response.status.code) \(microseconds / 1000).\(fraction.count < 2 ? "0" + fraction : fraction) ms"
        )
        return response
    }
}
