import Foundation
import PostgresClient

#if canImport(Glibc)
    import Glibc
#endif

/// The embedded default database: a private PostgreSQL cluster under `ACCESSLEDGER_HOME`,
/// created (initdb), started (pg_ctl) and migrated on demand from the machine's PostgreSQL
/// binaries. It listens on a unix socket only (no TCP port), in a directory only its owner
/// can enter.
///
/// As root, the server runs as the `postgres` OS user (PostgreSQL refuses to run as root), and
/// the default home is `/var/lib/accessledger` because root's own home is not reachable by that
/// user.
public struct LocalCluster: Sendable {
    public let home: String
    public var dataDirectory: String { home + "/pgdata" }
    public var socketDirectory: String { home + "/run" }
    public var logFile: String { home + "/postgres.log" }
    public static let databaseName = "accessledger"
    public static let superuser = "accessledger"

    /// libpq connection string of the ledger database.
    public var conninfo: String {
        "host=\(socketDirectory) dbname=\(LocalCluster.databaseName) user=\(LocalCluster.superuser)"
    }

    public init(home: String) { self.home = home }

    static var isRoot: Bool { geteuid() == 0 }

    /// `ACCESSLEDGER_HOME`, else `$XDG_DATA_HOME/accessledger`, else `~/.local/share/accessledger`;
    /// for root `/var/lib/accessledger`.
    public static func defaultHome(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let home = environment["ACCESSLEDGER_HOME"], !home.isEmpty { return home }
        if isRoot { return "/var/lib/accessledger" }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/accessledger" }
        let userHome = environment["HOME"] ?? NSHomeDirectory()
        return userHome + "/.local/share/accessledger"
    }

    // MARK: Lifecycle

    /// Opens a connection to the ledger database, creating, starting and migrating the cluster
    /// first when needed. Safe when several processes call it at once (they take a file lock).
    public func connect() throws -> Connection {
        if let connection = try? Connection(conninfo, connectTimeout: 5) {
            return connection
        }
        try withLock {
            try createIfNeeded()
            if !isRunning() { try start() }
            try createDatabaseIfNeeded()
        }
        let connection: Connection
        do { connection = try Connection(conninfo, connectTimeout: 10) } catch let error as PostgresError {
            throw LedgerError.database(
                "cannot connect to the embedded database in \(home): \(error.message) (see \(logFile))")
        }
        try Migrator.migrate(connection)
        return connection
    }

    /// Whether the server of this cluster is running.
    public func isRunning() -> Bool {
        guard FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION"),
            let pgCtl = try? LocalCluster.binary("pg_ctl")
        else { return false }
        return (try? runAsServer([pgCtl, "-D", dataDirectory, "status"]).status) == 0
    }

    /// The server's process id, read from `postmaster.pid`, when running.
    public func serverPID() -> Int? {
        guard isRunning(), let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8)
        else { return nil }
        return text.split(separator: "\n").first.flatMap { Int($0) }
    }

    /// Stops the server (fast shutdown). Returns false when it was not running.
    @discardableResult
    public func stop() throws -> Bool {
        guard isRunning() else { return false }
        let result = try runAsServer([
            try LocalCluster.binary("pg_ctl"), "-D", dataDirectory, "-m", "fast", "-w", "stop",
        ])
        guard result.status == 0 else {
            throw LedgerError.database("pg_ctl stop failed: \(result.output.trimmed)")
        }
        return true
    }

    func createIfNeeded() throws {
        let files = FileManager.default
        if files.fileExists(atPath: dataDirectory + "/PG_VERSION") { return }
        let initdb = try LocalCluster.binary("initdb")
        let socketPath = socketDirectory + "/.s.PGSQL.5432"
        guard socketPath.utf8.count < 100 else {
            throw LedgerError.invalidInput(
                "ACCESSLEDGER_HOME \"\(home)\" is too long: its socket path \(socketPath) exceeds the unix limit; "
                    + "choose a shorter ACCESSLEDGER_HOME")
        }
        do {
            try files.createDirectory(atPath: home, withIntermediateDirectories: true)
            try files.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
            try files.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw LedgerError.internal("cannot create the embedded database directory \(home): \(error)")
        }
        if LocalCluster.isRoot {
            let (uid, gid) = try LocalCluster.postgresUser()
            chmod(home, 0o755)
            chown(dataDirectory, uid, gid)
            chown(socketDirectory, uid, gid)
            chmod(dataDirectory, 0o700)
            chmod(socketDirectory, 0o700)
            // Every directory above home must be enterable by the postgres user.
            let probe = try runAsServer(["/usr/bin/test", "-w", dataDirectory])
            guard probe.status == 0 else {
                throw LedgerError.invalidInput(
                    "ACCESSLEDGER_HOME \"\(home)\" is not reachable by the postgres OS user, which runs the embedded "
                        + "server when accessledger runs as root; choose a directory outside /root, e.g. "
                        + "ACCESSLEDGER_HOME=/var/lib/accessledger")
            }
        } else {
            chmod(socketDirectory, 0o700)
        }
        let result = try runAsServer([
            initdb, "-D", dataDirectory, "-U", LocalCluster.superuser, "--auth=trust", "-E", "UTF8", "--no-locale",
        ])
        guard result.status == 0 else {
            throw LedgerError.database("initdb failed: \(result.output.trimmed)")
        }
        let settings = """

            # accessledger: a private cluster, reachable only through the socket directory below.
            listen_addresses = ''
            unix_socket_directories = '\(socketDirectory)'
            unix_socket_permissions = 0700
            max_connections = 50
            """
        guard let handle = FileHandle(forUpdatingAtPath: dataDirectory + "/postgresql.conf") else {
            throw LedgerError.internal("cannot open \(dataDirectory)/postgresql.conf")
        }
        handle.seekToEndOfFile()
        handle.write(Data(settings.utf8))
        handle.closeFile()
    }

    func start() throws {
        if LocalCluster.isRoot, FileManager.default.fileExists(atPath: logFile) == false {
            _ = FileManager.default.createFile(atPath: logFile, contents: nil)
            let (uid, gid) = try LocalCluster.postgresUser()
            chown(logFile, uid, gid)
        }
        let result = try runAsServer([
            try LocalCluster.binary("pg_ctl"), "-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "start",
        ])
        guard result.status == 0 else {
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8))?.split(separator: "\n").suffix(5)
                .joined(separator: "\n  ")
            throw LedgerError.database("could not start the embedded PostgreSQL in \(home):\n  \(log ?? result.output)")
        }
    }

    func createDatabaseIfNeeded() throws {
        let admin = try Connection(
            "host=\(socketDirectory) dbname=postgres user=\(LocalCluster.superuser)", connectTimeout: 10)
        defer { admin.close() }
        let exists = try admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [LocalCluster.databaseName])
        if exists.rows.isEmpty {
            try admin.query("CREATE DATABASE " + (try admin.escapeIdentifier(LocalCluster.databaseName)))
        }
    }

    /// Runs `body` holding an exclusive lock on `home/lock`.
    func withLock(_ body: () throws -> Void) throws {
        do { try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true) } catch {
            throw LedgerError.internal("cannot create \(home): \(error)")
        }
        let descriptor = open(home + "/lock", O_CREAT | O_RDWR, 0o600)
        guard descriptor >= 0 else { throw LedgerError.internal("cannot open \(home)/lock: errno \(errno)") }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw LedgerError.internal("cannot lock \(home)/lock") }
        defer { flock(descriptor, LOCK_UN) }
        try body()
    }

    // MARK: Processes

    /// Finds a PostgreSQL server binary: `$ACCESSLEDGER_PG_BIN`, then the newest
    /// `/usr/lib/postgresql/*/bin` (Debian and Ubuntu), then `$PATH`.
    public static func binary(_ name: String) throws -> String {
        let files = FileManager.default
        var candidates: [String] = []
        if let dir = ProcessInfo.processInfo.environment["ACCESSLEDGER_PG_BIN"] { candidates.append(dir) }
        let versions = ((try? files.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap { Int($0) }.sorted(by: >)
        candidates += versions.map { "/usr/lib/postgresql/\($0)/bin" }
        candidates += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for dir in candidates where files.isExecutableFile(atPath: dir + "/" + name) {
            return dir + "/" + name
        }
        throw LedgerError.database(
            "PostgreSQL's \(name) was not found, so the embedded database cannot be created. Install the server "
                + "(Debian/Ubuntu: apt-get install postgresql) or point accessledger at an existing database with "
                + "--database or ACCESSLEDGER_DATABASE_URL")
    }

    static func postgresUser() throws -> (uid_t, gid_t) {
        guard let entry = getpwnam("postgres") else {
            throw LedgerError.database(
                "running as root, the embedded PostgreSQL must run as the 'postgres' OS user, which does not exist; "
                    + "install the postgresql package (it creates the user) or run: useradd --system postgres")
        }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    /// Runs a command (as the `postgres` user when we are root), from `/`, collecting its output.
    ///
    /// The output goes to a file, not a pipe: `pg_ctl start` leaves the server running with the
    /// command's descriptors, and a pipe would then never reach end-of-file.
    func runAsServer(_ arguments: [String]) throws -> (status: Int32, output: String) {
        var command = arguments
        if LocalCluster.isRoot {
            _ = try LocalCluster.postgresUser()
            command = ["/usr/sbin/runuser", "-u", "postgres", "--"] + arguments
        }
        let outputPath = home + "/.command-output-\(getpid())"
        defer { unlink(outputPath) }
        let status = try LocalCluster.spawn(command, outputPath: outputPath)
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return (status, text)
    }

    /// posix_spawn + waitpid: stdin from /dev/null, stdout and stderr to `outputPath`, working
    /// directory `/`. Returns the exit status (128 + signal when killed).
    static func spawn(_ command: [String], outputPath: String) throws -> Int32 {
        closeInheritedDescriptorsOnExec()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var pid: pid_t = 0
        // `cd /` first: as the postgres user, the caller's directory may not be enterable.
        let wrapped = ["/bin/sh", "-c", "cd / && exec \"$@\"", "sh"] + command
        let arguments = wrapped.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        let result = posix_spawn(&pid, wrapped[0], &actions, nil, arguments, environ)
        guard result == 0 else {
            throw LedgerError.database("cannot run \(command[0]): \(String(cString: strerror(result)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw LedgerError.internal("waitpid failed: errno \(errno)") }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}

/// Marks every descriptor above stderr close-on-exec, so that a server started by `pg_ctl` does
/// not inherit (and hold open forever) a pipe or socket of ours or of whoever started us.
func closeInheritedDescriptorsOnExec() {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
    for entry in entries {
        guard let descriptor = Int32(entry), descriptor > 2 else { continue }
        let flags = fcntl(descriptor, F_GETFD)
        if flags >= 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
