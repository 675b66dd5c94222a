import LedgerStore
import PostgresClient

/// The PostgreSQL cluster the harness runs on (`ACCESSLEDGER_DATABASE_URL`, as `tools/bench`
/// exports it), and the databases it creates there.
struct BenchCluster: Sendable {
    /// Connection string to the maintenance database (as `tools/pg` prints it).
    let conninfo: String

    /// A migrated, empty ledger every bench database is cloned from.
    static let template = "bench_template"

    /// The same server, another database. Works for `key=value` strings (a later `dbname`
    /// wins) and for `postgresql://` URIs (the path is replaced).
    func conninfo(database: String) -> String {
        if conninfo.hasPrefix("postgresql://") || conninfo.hasPrefix("postgres://") {
            let schemeEnd = conninfo.range(of: "://")?.upperBound ?? conninfo.startIndex
            let rest = conninfo[schemeEnd...]
            let pathStart = rest.firstIndex(of: "/") ?? rest.firstIndex(of: "?") ?? rest.endIndex
            let query = rest[pathStart...].firstIndex(of: "?").map { String(rest[$0...]) } ?? ""
            return String(conninfo[..<schemeEnd]) + rest[..<pathStart] + "/" + database + query
        }
        return conninfo + " dbname=" + database
    }

    /// Connects as the cluster's user (owner of everything the harness creates).
    func owner(_ database: String) throws -> Connection {
        try Connection(conninfo(database: database), applicationName: "accessledger-bench")
    }

    /// Connects as the CLI does: checked to be migrated, under the append-only application role.
    func application(_ database: String) throws -> Connection {
        let connection = try owner(database)
        try LedgerDatabase.prepare(connection)
        return connection
    }

    /// Creates the migrated template once per run (dropping any left by an earlier run).
    func createTemplate() throws {
        let admin = try owner("postgres")
        try admin.query("DROP DATABASE IF EXISTS \(BenchCluster.template) WITH (FORCE)")
        try admin.query("CREATE DATABASE \(BenchCluster.template)")
        let template = try owner(BenchCluster.template)
        try Migrator.migrate(template)
        template.close()
    }

    /// Drops `database` if it exists and creates it again, empty or as a copy of `template`.
    func recreate(_ database: String, from template: String? = BenchCluster.template) throws {
        let admin = try owner("postgres")
        try admin.query("DROP DATABASE IF EXISTS \(database) WITH (FORCE)")
        try admin.query("CREATE DATABASE \(database)" + (template.map { " TEMPLATE \($0)" } ?? ""))
    }

    /// Creates `database` from the template unless it exists.
    func ensure(_ database: String) throws {
        let admin = try owner("postgres")
        guard try admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]).first == nil else { return }
        try admin.query("CREATE DATABASE \(database) TEMPLATE \(BenchCluster.template)")
    }

    func drop(_ database: String) throws {
        try owner("postgres").query("DROP DATABASE IF EXISTS \(database) WITH (FORCE)")
    }
}
