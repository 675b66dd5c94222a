import ArgumentParser
import LedgerStore

/// `accessledger db migrate`.
struct DBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Manage the ledger's database schema.", subcommands: [Migrate.self])

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply the sql/ migrations in order (idempotent; safe to run concurrently).")

        @OptionGroup var database: DatabaseOptions

        func run() throws {
            let connection = try LedgerDatabase.connect(database.source)
            defer { connection.close() }
            let report = try Migrator.migrate(connection)
            if report.applied.isEmpty {
                print("database is up to date (migration \(report.current))")
            } else {
                for name in report.applied { print("applied \(name)") }
                print("database is at migration \(report.current)")
            }
        }
    }
}
