import AccessModel
import LedgerStore
import PostgresClient

/// The commands of a synthetic ledger (`report`, `everyone`), one second apart from
/// 2025-01-01T00:00:00Z, loaded with ``Importer`` and then replayed.
struct ScriptedHistory {
    private(set) var items: [ImportItem] = []
    private var time = Timestamp(microseconds: 1_735_689_600_000_000)

    /// Appends `command`, done by `actor`, a second after the previous one.
    mutating func add(_ command: Command, _ actor: String?) {
        time = Timestamp(microseconds: time.microseconds + 1_000_000)
        items.append(ImportItem(command: command, actor: actor, occurredAt: time))
    }

    /// Imports the commands into `database` (recreated from the template first) and builds its
    /// projections with a replay.
    func load(into database: String, cluster: BenchCluster) throws -> ImportReport {
        try cluster.recreate(database)
        let imported = try Importer(connection: try cluster.application(database)).run(items)
        let conninfo = cluster.conninfo(database: database)
        _ = try Replay { try Connection(conninfo, applicationName: "accessledger-bench") }.run()
        return imported
    }
}
