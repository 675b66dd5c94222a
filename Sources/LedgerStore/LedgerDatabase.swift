import Foundation
import PostgresClient

/// Opens the ledger's database as the CLI and tests use it: explicit (`--database` or
/// `ACCESSLEDGER_DATABASE_URL`) or the embedded local cluster, checked to be migrated, and
/// running under the append-only application role where the migrations created one.
public enum LedgerDatabase {
    /// Where the connection string comes from.
    public enum Source: Sendable, Equatable {
        case explicit(String)
        case embedded(home: String)

        /// `--database`, else `ACCESSLEDGER_DATABASE_URL`, else the embedded cluster.
        public static func resolve(
            option: String?, environment: [String: String] = ProcessInfo.processInfo.environment
        ) -> Source {
            if let option, !option.isEmpty { return .explicit(option) }
            if let url = environment["ACCESSLEDGER_DATABASE_URL"], !url.isEmpty { return .explicit(url) }
            return .embedded(home: LocalCluster.defaultHome(environment: environment))
        }
    }

    /// Connects without preparing the session (for `db migrate`, which needs the owner's rights).
    public static func connect(_ source: Source) throws -> Connection {
        switch source {
        case .explicit(let conninfo):
            do { return try Connection(conninfo) } catch let error as PostgresError {
                throw LedgerError.unavailable("cannot connect to the database: \(error.message)")
            }
        case .embedded(let home):
            return try LocalCluster(home: home).connect()
        }
    }

    /// Connects and prepares the session for ordinary commands: the schema must be at the
    /// latest migration, and when the `accessledger_app` role exists and we may use it, we
    /// `SET ROLE` to it so that nothing this process does can change history.
    public static func open(_ source: Source) throws -> Connection {
        let connection = try connect(source)
        if case .embedded = source {
            // The embedded database is ours: bring it up to date after an upgrade of accessledger.
            try prepare(connection, migrateIfBehind: true)
        } else {
            try prepare(connection)
        }
        return connection
    }

    /// See ``open(_:)``.
    public static func prepare(
        _ connection: Connection, migrations: [Migration] = Migration.all, migrateIfBehind: Bool = false
    ) throws {
        let latest = migrations.map(\.version).max() ?? 0
        let row: Row?
        do {
            row = try connection.query(
                """
                SELECT (SELECT max(version) FROM ledger_migrations),
                       EXISTS (SELECT 1 FROM pg_roles
                               WHERE rolname = 'accessledger_app' AND pg_has_role(current_user, oid, 'MEMBER'))
                """
            ).first
        } catch let error as PostgresError where error.sqlState == "42P01" {
            if migrateIfBehind {
                try Migrator.migrate(connection, migrations: migrations)
                return try prepare(connection, migrations: migrations)
            }
            throw LedgerError.database(
                "the database has no accessledger schema yet: run `accessledger db migrate` first")
        }
        let current = try row?.optionalInt64(0) ?? 0
        if current < latest && migrateIfBehind {
            try Migrator.migrate(connection, migrations: migrations)
            return try prepare(connection, migrations: migrations)
        }
        guard current >= latest else {
            throw LedgerError.database(
                "the database schema is at migration \(current) but this accessledger needs \(latest): "
                    + "run `accessledger db migrate`")
        }
        if try row?.bool(1) == true {
            try connection.query("SET ROLE accessledger_app")
        }
    }
}
