import Foundation
import LedgerStore
import Synchronization
import TestSupport
import Testing

/// The embedded cluster's trust model, end to end with the built binary, as root: its server runs
/// as its own `accessledger` user behind peer authentication; homes made by older versions
/// (server user `postgres`, `trust`) are converted in place; homes that are not the invoking
/// user's are refused.
@Suite("CLI: embedded cluster ownership and authentication", .serialized, .enabled(if: geteuid() == 0))
struct EmbeddedClusterCLITests {
    static let psql = "/usr/bin/psql"

    /// A fresh, empty root-owned 0755 home under /tmp with a short name (the socket path must
    /// stay under 100 bytes).
    func makeHome(_ tag: String) throws -> String {
        let home = "/tmp/al-\(tag)-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        chmod(home, 0o755)
        return home
    }

    /// Gives the home back to root, stops its server, removes it.
    func cleanUp(_ home: String) {
        lchown(home, 0, 0)
        chmod(home, 0o755)
        _ = try? runCLI(["local", "stop"], environment: ["ACCESSLEDGER_HOME": home])
        try? FileManager.default.removeItem(atPath: home)
    }

    func info(_ path: String) -> stat? {
        var result = stat()
        return lstat(path, &result) == 0 ? result : nil
    }

    func uid(of name: String) throws -> uid_t { try #require(getpwnam(name)).pointee.pw_uid }

    /// `psql … -c 'select 1'` on the home's socket as the OS user `user` (root when nil).
    func psql(_ home: String, as user: String?) throws -> CLIResult {
        let command = [
            EmbeddedClusterCLITests.psql, "-h", home + "/run", "-U", "accessledger", "-d", "accessledger", "-Atc",
            "select 1",
        ]
        if let user { return try runProcess("/usr/sbin/runuser", ["-u", user, "--"] + command) }
        return try runProcess(command[0], Array(command.dropFirst()))
    }

    /// Runs a shell command as `user`, from `/`, with no descriptor of ours but stdout and stderr
    /// (a server it starts must not hold open the pipes or the socket `Process` waits on).
    func shell(_ script: String, as user: String) throws -> CLIResult {
        let closing = "for fd in /proc/$$/fd/*; do n=${fd##*/}; [ \"$n\" -gt 2 ] && eval \"exec $n>&-\"; done; "
        return try runProcess(
            "/usr/sbin/runuser", ["-u", user, "--", "/bin/bash", "-c", closing + "cd / && " + script])
    }

    /// The uid the server process runs as, from `local status` and /proc.
    func serverProcessUID(_ home: String) throws -> uid_t? {
        let status = try runCLI(["local", "status"], environment: ["ACCESSLEDGER_HOME": home])
        guard let range = status.stdout.range(of: "running (pid "),
            let pid = Int(status.stdout[range.upperBound...].prefix { $0.isNumber }),
            let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") })
        else { return nil }
        return line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap { uid_t($0) }
    }

    /// What every embedded home must look like once accessledger has used it.
    func expectHardened(_ home: String) throws {
        let server = try uid(of: "accessledger")
        let hba = try String(contentsOfFile: home + "/pgdata/pg_hba.conf", encoding: .utf8)
        #expect(!hba.lowercased().contains("trust"), "\(hba)")
        #expect(hba.contains("peer map=accessledger"))
        let rules = hba.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.allSatisfy(\.isWhitespace) }
        #expect(rules.allSatisfy { $0.hasPrefix("local") }, "\(rules)")
        let ident = try String(contentsOfFile: home + "/pgdata/pg_ident.conf", encoding: .utf8)
        #expect(!ident.contains("postgres"), "\(ident)")
        for directory in ["pgdata", "run"] {
            let entry = try #require(info(home + "/" + directory))
            #expect(entry.st_uid == server, "\(directory) owner")
            #expect(entry.st_mode & 0o777 == 0o700, "\(directory) mode")
        }
        #expect(try #require(info(home + "/pgdata/PG_VERSION")).st_uid == server)
        let log = try #require(info(home + "/postgres.log"))
        #expect(log.st_mode & 0o777 == 0o600, "postgres.log mode \(String(log.st_mode & 0o777, radix: 8))")
        #expect(log.st_uid == server)
        #expect(try serverProcessUID(home) == server)
        // The shared postgres account (any other cluster's server) is refused; root, the home's
        // owner, is let in by peer authentication.
        let intruder = try psql(home, as: "postgres")
        #expect(intruder.status != 0, "postgres connected: \(intruder.stdout)")
        #expect(try psql(home, as: "nobody").status != 0)
        let owner = try psql(home, as: nil)
        #expect(owner.status == 0, "\(owner.stderr)")
        #expect(owner.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
    }

    @Test func aFreshRootHomeRunsItsServerAsAccessledgerWithPeerAuthentication() throws {
        let home = try makeHome("f")
        let env = ["ACCESSLEDGER_HOME": home]
        defer { cleanUp(home) }
        let first = try runCLI(["verify"], environment: env)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("ok: 0 events"))
        try expectHardened(home)
        let second = try runCLI(["audit", "log", "-o", "json"], environment: env)
        #expect(second.status == 0, "\(second.stderr)")
        // Stopped and started again, it stays hardened.
        #expect(try runCLI(["local", "stop"], environment: env).status == 0)
        #expect(try runCLI(["verify"], environment: env).status == 0)
        try expectHardened(home)
    }

    /// A home as older versions made it: initdb as `postgres` with `--auth=trust`, a 0644 log,
    /// the server running as `postgres`. Two commands at once convert it in place.
    @Test func anOldStyleTrustHomeIsConvertedInPlace() throws {
        let home = try makeHome("o")
        let env = ["ACCESSLEDGER_HOME": home]
        defer { cleanUp(home) }
        let postgres = try #require(getpwnam("postgres")).pointee
        for directory in ["pgdata", "run"] {
            try FileManager.default.createDirectory(atPath: home + "/" + directory, withIntermediateDirectories: false)
            chown(home + "/" + directory, postgres.pw_uid, postgres.pw_gid)
            chmod(home + "/" + directory, 0o700)
        }
        let initdb = try LocalCluster.binary("initdb")
        let pgCtl = try LocalCluster.binary("pg_ctl")
        let created = try shell(
            "\(initdb) -D \(home)/pgdata -U accessledger --auth=trust -E UTF8 --no-locale", as: "postgres")
        try #require(created.status == 0, "\(created.stderr)")
        let settings = """

            listen_addresses = ''
            unix_socket_directories = '\(home)/run'
            unix_socket_permissions = 0700
            max_connections = 50

            """
        let conf = try #require(FileHandle(forUpdatingAtPath: home + "/pgdata/postgresql.conf"))
        conf.seekToEndOfFile()
        conf.write(Data(settings.utf8))
        conf.closeFile()
        #expect(FileManager.default.createFile(atPath: home + "/postgres.log", contents: nil))
        chmod(home + "/postgres.log", 0o644)
        chown(home + "/postgres.log", postgres.pw_uid, postgres.pw_gid)
        let started = try shell(
            "\(pgCtl) -D \(home)/pgdata -l \(home)/postgres.log -w start >/dev/null 2>&1", as: "postgres")
        try #require(started.status == 0, "\(started.stderr)")
        defer { _ = try? shell("\(pgCtl) -D \(home)/pgdata -m fast -w stop", as: "postgres") }
        let database = try shell(
            "\(EmbeddedClusterCLITests.psql) -h \(home)/run -U accessledger -d postgres -c 'create database accessledger'",
            as: "postgres")
        try #require(database.status == 0, "\(database.stderr)")
        // The defect: the shared postgres account gets in.
        try #require(try psql(home, as: "postgres").status == 0)

        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            results.append(try? runCLI(["verify"], environment: env))
        }
        #expect(results.all.count == 2)
        for result in results.all {
            #expect(result?.status == 0, "\(result?.stderr ?? "did not run")")
        }
        try expectHardened(home)
        // Everything in the data directory changed hands.
        let postgresOwned = try shell("find \(home) -user postgres", as: "root")
        #expect(postgresOwned.stdout.isEmpty, "\(postgresOwned.stdout)")
        let again = try runCLI(["audit", "log", "-o", "json"], environment: env)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try runCLI(["local", "stop"], environment: env).status == 0)
        #expect(try runCLI(["verify"], environment: env).status == 0)
        try expectHardened(home)
    }

    @Test func homesThatAreNotTheCallersAreRefused() throws {
        let nobody = try #require(getpwnam("nobody")).pointee

        // Owned by another user.
        let foreign = try makeHome("n")
        defer { cleanUp(foreign) }
        chown(foreign, nobody.pw_uid, nobody.pw_gid)
        let refused = try runCLI(["verify"], environment: ["ACCESSLEDGER_HOME": foreign])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains(foreign) && refused.stderr.contains("nobody"), "\(refused.stderr)")
        #expect(info(foreign + "/pgdata") == nil && info(foreign + "/lock") == nil)

        // Writable by group or others.
        let open = try makeHome("w")
        defer { cleanUp(open) }
        chmod(open, 0o775)
        let writable = try runCLI(["verify"], environment: ["ACCESSLEDGER_HOME": open])
        #expect(writable.status == 2)
        #expect(writable.stderr.contains(open) && writable.stderr.contains("writable"), "\(writable.stderr)")

        // Inside a directory of another user, who could swap the home.
        let parent = try makeHome("p")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        try FileManager.default.createDirectory(atPath: parent + "/h", withIntermediateDirectories: false)
        chmod(parent + "/h", 0o755)
        chown(parent, nobody.pw_uid, nobody.pw_gid)
        let nested = try runCLI(["verify"], environment: ["ACCESSLEDGER_HOME": parent + "/h"])
        #expect(nested.status == 2)
        #expect(nested.stderr.contains(parent) && nested.stderr.contains("nobody"), "\(nested.stderr)")

        // A symbolic link of another user standing for the home.
        let target = try makeHome("t")
        defer { cleanUp(target) }
        let link = "/tmp/al-l-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        defer { unlink(link) }
        lchown(link, nobody.pw_uid, nobody.pw_gid)
        let linked = try runCLI(["verify"], environment: ["ACCESSLEDGER_HOME": link])
        #expect(linked.status == 2)
        #expect(linked.stderr.contains(link) && linked.stderr.contains("nobody"), "\(linked.stderr)")
        #expect(info(target + "/pgdata") == nil)

        // A `lock` that is a symbolic link to a file elsewhere: that file is never created.
        let trap = try makeHome("k")
        defer { cleanUp(trap) }
        let elsewhere = "/tmp/al-x-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        defer { unlink(elsewhere) }
        try FileManager.default.createSymbolicLink(atPath: trap + "/lock", withDestinationPath: elsewhere)
        let locked = try runCLI(["verify"], environment: ["ACCESSLEDGER_HOME": trap])
        #expect(locked.status == 2, "\(locked.stderr)")
        #expect(locked.stderr.contains(trap + "/lock"), "\(locked.stderr)")
        #expect(info(elsewhere) == nil, "the lock link was followed")

        // A data directory that belongs to somebody other than the server user.
        let planted = try makeHome("d")
        defer { cleanUp(planted) }
        try FileManager.default.createDirectory(atPath: planted + "/pgdata", withIntermediateDirectories: false)
        chown(planted + "/pgdata", nobody.pw_uid, nobody.pw_gid)
        let stranger = try runCLI(["verify"], environment: ["ACCESSLEDGER_HOME": planted])
        #expect(stranger.status == 2)
        #expect(
            stranger.stderr.contains(planted + "/pgdata") && stranger.stderr.contains("nobody"), "\(stranger.stderr)")
    }

    /// `local status` / `local stop` on someone else's home must not report "stopped" while its
    /// server runs: they refuse, naming the owner.
    @Test func localStatusAndStopRefuseAHomeThatIsNotYours() throws {
        let home = try makeHome("s")
        let env = ["ACCESSLEDGER_HOME": home]
        defer { cleanUp(home) }
        #expect(try runCLI(["verify"], environment: env).status == 0)
        let nobody = try #require(getpwnam("nobody")).pointee
        chown(home, nobody.pw_uid, nobody.pw_gid)
        for command in ["status", "stop"] {
            let result = try runCLI(["local", command], environment: env)
            #expect(result.status == 2, "local \(command): \(result.stdout)")
            #expect(result.stderr.contains("not yours") && result.stderr.contains("nobody"), "\(result.stderr)")
            #expect(!result.stdout.contains("stopped"))
        }
        chown(home, 0, 0)
        #expect(try runCLI(["local", "status"], environment: env).stdout.contains("running (pid"))

        // The other way round: `nobody` running the binary on root's home.
        let binary = accessledgerBinary()
        if access(binary, X_OK) == 0,
            try runProcess("/usr/sbin/runuser", ["-u", "nobody", "--", "/usr/bin/test", "-x", binary]).status == 0
        {
            let asNobody = try runProcess(
                "/usr/sbin/runuser", ["-u", "nobody", "--", binary, "local", "status"], environment: env)
            #expect(asNobody.status == 2, "\(asNobody.stdout)")
            #expect(asNobody.stderr.contains("not yours") && asNobody.stderr.contains("root"), "\(asNobody.stderr)")
        }
    }
}

/// CLI results collected from several threads.
private final class Results: Sendable {
    private let results = Mutex<[CLIResult?]>([])
    func append(_ result: CLIResult?) { results.withLock { $0.append(result) } }
    var all: [CLIResult?] { results.withLock { $0 } }
}
