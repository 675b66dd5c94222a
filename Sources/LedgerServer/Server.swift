import AccessModel
import Foundation
import Hummingbird
import LedgerService
import LedgerStore
import Logging
import NIOCore
import PostgresClient
import ServiceLifecycle

/// How `accessledger serve` runs.
public struct ServerConfiguration: Sendable {
    /// Where to listen (`--listen`, default 127.0.0.1:8080; port 0 picks a free port).
    public var host: String
    public var port: Int
    /// Opens a prepared connection to the ledger's database (as every command does).
    public var open: @Sendable () throws -> Connection
    /// Threads (and connections) that serve reads.
    public var readerThreads: Int
    /// The most commands the writer commits in one transaction.
    public var batchLimit: Int

    public init(
        host: String = "127.0.0.1", port: Int = 8080, readerThreads: Int = 8, batchLimit: Int = 64,
        open: @escaping @Sendable () throws -> Connection
    ) {
        self.host = host
        self.port = port
        self.open = open
        self.readerThreads = readerThreads
        self.batchLimit = batchLimit
    }

    /// Parses `HOST:PORT`.
    /// - Throws: ``LedgerError/invalidInput(_:)`` naming the value.
    public static func listenAddress(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port), colon != text.startIndex
        else {
            throw LedgerError.invalidInput(
                "invalid --listen \(DisplayText.quoted(text)): expected HOST:PORT such as 127.0.0.1:8080")
        }
        return (String(text[..<colon]), port)
    }
}

/// The HTTP service (SPEC §7) and what it runs on: reader threads, the writer, the metrics.
public final class LedgerServer: Sendable {
    let api: LedgerAPI
    let configuration: ServerConfiguration
    let feed: EventFeed

    public init(configuration: ServerConfiguration) {
        self.configuration = configuration
        let metrics = ServiceMetrics()
        feed = EventFeed(open: configuration.open)
        api = LedgerAPI(
            readers: ConnectionThreads(
                count: configuration.readerThreads, name: "ledger-reader", open: configuration.open),
            writer: CommandWriter(batchLimit: configuration.batchLimit, metrics: metrics, open: configuration.open),
            metrics: metrics)
    }

    /// The router: request logging and metrics outermost, then the error body, then the check
    /// that an `/api/` request carries a well-formed bearer header, then the routes.
    public func buildRouter() -> Router<LedgerContext> {
        let router = Router(context: LedgerContext.self)
        router.add(middleware: RequestLogMiddleware(metrics: api.metrics))
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: BearerHeaderMiddleware())
        addOperationalRoutes(to: router)
        api.addUserRoutes(to: router)
        api.addGroupRoutes(to: router)
        api.addWorkspaceRoutes(to: router)
        api.addAuditRoutes(to: router)
        api.addFeedRoutes(to: router, feed: feed)
        return router
    }

    /// `/healthz`, `/readyz`, `/metrics` and `/openapi.json`: no authentication.
    func addOperationalRoutes(to router: Router<LedgerContext>) {
        let api = self.api
        router.get("/healthz") { _, _ in
            JSONResponse.make(status: 200, json: .object([("status", .string("ok"))]))
        }
        router.get("/readyz") { _, _ in
            let latest = Migration.all.map(\.version).max() ?? 0
            do {
                let current = try await api.readers.run { connection in
                    try connection.query("SELECT max(version) FROM ledger_migrations").first?.optionalInt64(0) ?? 0
                }
                guard current >= latest else {
                    throw LedgerError.unavailable("the database is at migration \(current), not \(latest)")
                }
                return JSONResponse.make(status: 200, json: .object([("status", .string("ready"))]))
            } catch {
                let message = (error as? LedgerError)?.description ?? "the database is unavailable"
                throw LedgerError.unavailable(message)
            }
        }
        router.get("/metrics") { _, _ in
            if let pending = try? await api.readers.run({ connection in
                try connection.query(
                    """
                    SELECT count(DISTINCT a.workspace_id) FROM access a JOIN workspaces w ON w.id = a.workspace_id
                    WHERE a.held_role IS NOT NULL AND w.status = 'running'
                    """
                ).first?.int64(0) ?? 0
            }) {
                api.metrics.pendingWorkspaces.set(Double(pending))
            }
            return JSONResponse.make(
                status: 200, text: api.metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/openapi.json") { _, _ in
            JSONResponse.make(status: 200, text: OpenAPIDocument.json)
        }
    }

    /// Runs until SIGINT or SIGTERM, then stops accepting, lets requests in flight finish (at
    /// most 10 s), commits what the writer has queued, and returns.
    /// - Parameter onListening: called with the bound address (`HOST:PORT`) once the server listens.
    public func run(logger: Logger, onListening: @escaping @Sendable (String) -> Void = { _ in }) async throws {
        let app = Application(
            router: buildRouter(),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "accessledger"),
            onServerRunning: { channel in
                let address = channel.localAddress
                onListening("\(address?.ipAddress ?? "?"):\(address?.port ?? 0)")
            },
            logger: logger)
        var group = ServiceGroupConfiguration(services: [app], logger: logger)
        group.gracefulShutdownSignals = [.sigterm, .sigint]
        group.maximumGracefulShutdownDuration = .seconds(10)
        defer { shutdown() }
        let delivery = WebhookDelivery(readers: api.readers, feed: feed, logger: logger)
        let deliveries = Task { await delivery.run() }
        defer { deliveries.cancel() }
        try await ServiceGroup(configuration: group).run()
        feed.stop()
        await deliveries.value
    }

    /// Commits what is queued and stops the database threads.
    public func shutdown() {
        feed.stop()
        api.writer.shutdown()
        api.readers.shutdown(threads: configuration.readerThreads)
    }
}
