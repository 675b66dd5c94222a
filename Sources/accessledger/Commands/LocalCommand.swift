import ArgumentParser
import LedgerStore

/// `accessledger local status|stop`: the embedded cluster.
struct LocalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local", abstract: "The embedded local PostgreSQL cluster under ACCESSLEDGER_HOME.",
        subcommands: [Status.self, Stop.self])

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show where the embedded cluster lives and whether it runs.")
        func run() throws {
            let cluster = LocalCluster(home: LocalCluster.defaultHome())
            // Refuses (exit 2) a home that is not ours rather than report on a server it cannot see.
            let pid = try cluster.serverPID()
            print("home:     \(cluster.home)")
            print("data:     \(cluster.dataDirectory)")
            print("socket:   \(cluster.socketDirectory)")
            print("conninfo: \(cluster.conninfo)")
            print("server:   " + (pid.map { "running (pid \($0))" } ?? "stopped"))
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded cluster's server.")
        func run() throws {
            // `stop()` refuses (exit 2) a home that is not ours.
            let cluster = LocalCluster(home: LocalCluster.defaultHome())
            print(try cluster.stop() ? "stopped the server in \(cluster.home)" : "not running (\(cluster.home))")
        }
    }
}
