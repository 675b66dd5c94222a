import AccessModel
import Foundation
import LedgerStore
import PostgresClient
import Synchronization

/// A database of its own for one test, on the throwaway cluster that `tools/test` starts
/// (`ACCESSLEDGER_TEST_URL`, a keyword/value connection string). Tests run in parallel, so
/// each gets a fresh database; ``drop()`` removes it.
public struct TestDatabase: Sendable {
    public let name: String
    /// Connection string of this test's database.
    public let conninfo: String

    /// The cluster's connection string, or a failure telling how to run the tests.
    public static func clusterURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["ACCESSLEDGER_TEST_URL"], !url.isEmpty else {
            throw TestSetupError(
                "ACCESSLEDGER_TEST_URL is not set: run the tests with tools/test, which starts a throwaway PostgreSQL")
        }
        return url
    }

    private static let counter = Atomic<Int>(0)

    /// Creates an empty database, migrated unless `migrated` is false.
    public static func create(migrated: Bool = true) throws -> TestDatabase {
        let base = try clusterURL()
        let serial = counter.add(1, ordering: .relaxed).newValue
        let name = "t_\(getpid())_\(serial)_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try Connection(base)
        defer { admin.close() }
        try admin.query("CREATE DATABASE \(try admin.escapeIdentifier(name)) TEMPLATE template0")
        let database = TestDatabase(name: name, conninfo: base + " dbname=\(name)")
        if migrated {
            let connection = try database.connect()
            defer { connection.close() }
            try Migrator.migrate(connection)
        }
        return database
    }

    /// A connection as the cluster's superuser (the tables' owner).
    public func connect() throws -> Connection { try Connection(conninfo) }

    /// A connection prepared as the CLI prepares it (running as `accessledger_app`).
    public func connectAsApp() throws -> Connection {
        let connection = try connect()
        try LedgerDatabase.prepare(connection)
        return connection
    }

    /// Drops the database, ending any connection still open to it.
    public func drop() {
        guard let admin = try? Connection(try TestDatabase.clusterURL()) else { return }
        defer { admin.close() }
        if let quoted = try? admin.escapeIdentifier(name) {
            _ = try? admin.query("DROP DATABASE IF EXISTS \(quoted) WITH (FORCE)")
        }
    }

    /// Appends `events` as one command (one transaction) and returns them as recorded.
    @discardableResult
    public static func append(
        _ events: [NewEvent], on connection: Connection, actor: String = "tester", reason: String? = nil,
        occurredAt: Timestamp? = nil
    ) throws -> [RecordedEvent] {
        try connection.transaction { tx in
            let store = EventStore(connection: tx)
            var context = try store.lockForAppend()
            return try store.append(
                events, metadata: EventMetadata(actor: actor, reason: reason, occurredAt: occurredAt),
                context: &context)
        }
    }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs `body` on `count` OS threads at once (each should open its own connection) and waits
/// for all; returns the errors they threw, as text.
public func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Void) -> [String] {
    final class Errors: Sendable {
        let list = Mutex<[String]>([])
    }
    let errors = Errors()
    let done = DispatchGroup()
    for index in 0..<count {
        done.enter()
        let thread = Thread {
            do { try body(index) } catch {
                errors.list.withLock { $0.append("thread \(index): \(error)") }
            }
            done.leave()
        }
        thread.start()
    }
    done.wait()
    return errors.list.withLock { $0 }
}
