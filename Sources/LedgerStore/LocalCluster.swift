import Foundation
import PostgresClient

#if canImport(Glibc)
    import Glibc
#endif

/// The embedded default database: a private PostgreSQL cluster under `ACCESSLEDGER_HOME`,
/// created (initdb), started (pg_ctl) and migrated on demand from the machine's PostgreSQL
/// binaries. It listens on a unix socket only (no TCP port), in a directory only its server's
/// OS user can enter, and authenticates with `peer`: only the OS user that owns the home (and
/// the server's own user) may connect, as the database user `accessledger`.
///
/// As root, the server runs as the dedicated system user `accessledger` (PostgreSQL refuses to
/// run as root; accessledger creates the user on first use), and the default home is
/// `/var/lib/accessledger` because root's own home is not reachable by that user. A home, and
/// every directory above it up to the first one owned by root, must belong to the invoking user
/// and be writable by nobody else (see ``checkHome()``).
public struct LocalCluster: Sendable {
    /// The home directory (`ACCESSLEDGER_HOME`).
    public let home: String
    /// The cluster's data directory (`pgdata`), owned by the server's OS user, mode 0700.
    public var dataDirectory: String { home + "/pgdata" }
    /// The directory of the server's unix socket, owned by the server's OS user, mode 0700.
    public var socketDirectory: String { home + "/run" }
    /// The server's log, owned by the server's OS user, mode 0600.
    public var logFile: String { home + "/postgres.log" }
    /// The name of the ledger database.
    public static let databaseName = "accessledger"
    /// The database superuser, which every allowed OS user is mapped to.
    public static let superuser = "accessledger"

    /// libpq connection string of the ledger database.
    public var conninfo: String {
        "host=\(socketDirectory) dbname=\(LocalCluster.databaseName) user=\(LocalCluster.superuser)"
    }

    /// A cluster living under `home` (nothing is checked or created yet).
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
    /// first when needed, and converting a home made by an older accessledger (server user
    /// `postgres`, `trust` authentication) in place. Refuses a home that is not the caller's.
    /// Safe when several processes call it at once (they take a file lock).
    public func connect() throws -> Connection {
        try checkHome()
        if let server = try LocalCluster.serverUser(create: false), isCurrent(server: server),
            let connection = try? Connection(conninfo, connectTimeout: 5)
        {
            return connection
        }
        try createHomeIfNeeded()
        try checkHome()
        try withLock {
            guard let server = try LocalCluster.serverUser(create: true) else {
                throw LedgerError.internal("no OS user to run the embedded server")
            }
            try createIfNeeded(server: server)
            try convertIfNeeded(server: server)
            try secureLogFile(server: server)
            if !isRunning(as: server) { try start(server: server) }
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

    /// Whether the server of this cluster is running (false as well when the home or its data
    /// directory is not acceptable; ``serverPID()`` says why).
    public func isRunning() -> Bool {
        guard (try? checkHome()) != nil, let owner = try? clusterOwner() else { return false }
        return isRunning(as: owner)
    }

    func isRunning(as user: OSUser) -> Bool {
        guard FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION"),
            let pgCtl = try? LocalCluster.binary("pg_ctl")
        else { return false }
        return (try? runAsServer([pgCtl, "-D", dataDirectory, "status"], as: user).status) == 0
    }

    /// The server's process id, read from `postmaster.pid`, when running; nil when stopped or
    /// not created yet. Throws (exit 2) for a home that is not the caller's, or whose data
    /// directory belongs to a user other than the server's.
    public func serverPID() throws -> Int? {
        try checkHome()
        guard let owner = try clusterOwner(), isRunning(as: owner) else { return nil }
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8) else {
            return nil
        }
        return text.split(separator: "\n").first.flatMap { Int($0) }
    }

    /// Stops the server (fast shutdown). Returns false when it was not running. Throws (exit 2)
    /// for a home that is not the caller's.
    @discardableResult
    public func stop() throws -> Bool {
        try checkHome()
        guard let owner = try clusterOwner() else { return false }
        return try stop(as: owner)
    }

    func stop(as owner: OSUser) throws -> Bool {
        guard isRunning(as: owner) else { return false }
        let result = try runAsServer(
            [try LocalCluster.binary("pg_ctl"), "-D", dataDirectory, "-m", "fast", "-w", "stop"], as: owner)
        guard result.status == 0 else {
            throw LedgerError.database("pg_ctl stop failed: \(result.output.trimmed)")
        }
        return true
    }

    /// Creates the home (0755 as root, so that the server user can reach its directories; else
    /// 0700) and any missing parent (0755), never through a symbolic link it did not check.
    func createHomeIfNeeded() throws {
        var info = stat()
        if lstat(home, &info) == 0 { return }
        let socketPath = socketDirectory + "/.s.PGSQL.5432"
        guard socketPath.utf8.count < 100 else {
            throw LedgerError.invalidInput(
                "ACCESSLEDGER_HOME \"\(home)\" is too long: its socket path \(socketPath) exceeds the unix limit; "
                    + "choose a shorter ACCESSLEDGER_HOME")
        }
        var path = ""
        for component in LocalCluster.absolute(home).split(separator: "/") {
            path += "/" + component
            if lstat(path, &info) == 0 { continue }
            let mode: mode_t = path == LocalCluster.absolute(home) && !LocalCluster.isRoot ? 0o700 : 0o755
            guard mkdir(path, mode) == 0 || errno == EEXIST else {
                throw LedgerError.internal(
                    "cannot create the embedded database directory \(path): \(String(cString: strerror(errno)))")
            }
            chmod(path, mode)
        }
    }

    func createIfNeeded(server: OSUser) throws {
        if FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") { return }
        let initdb = try LocalCluster.binary("initdb")
        let socketPath = socketDirectory + "/.s.PGSQL.5432"
        guard socketPath.utf8.count < 100 else {
            throw LedgerError.invalidInput(
                "ACCESSLEDGER_HOME \"\(home)\" is too long: its socket path \(socketPath) exceeds the unix limit; "
                    + "choose a shorter ACCESSLEDGER_HOME")
        }
        for directory in [socketDirectory, dataDirectory] {
            try makeServerDirectory(directory, server: server)
        }
        if LocalCluster.isRoot {
            // Every directory above home must be enterable by the server's user.
            let probe = try runAsServer(["/usr/bin/test", "-w", dataDirectory], as: server)
            guard probe.status == 0 else {
                throw LedgerError.invalidInput(
                    "ACCESSLEDGER_HOME \"\(home)\" is not reachable by the \(server.name) OS user, which runs the "
                        + "embedded server when accessledger runs as root; choose a directory outside /root, e.g. "
                        + "ACCESSLEDGER_HOME=/var/lib/accessledger")
            }
        }
        let result = try runAsServer(
            [
                initdb, "-D", dataDirectory, "-U", LocalCluster.superuser, "--auth-local=peer", "--auth-host=reject",
                "-E", "UTF8", "--no-locale",
            ], as: server)
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
        let descriptor = open(dataDirectory + "/postgresql.conf", O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw LedgerError.internal("cannot open \(dataDirectory)/postgresql.conf: errno \(errno)")
        }
        defer { close(descriptor) }
        try LocalCluster.writeAll(descriptor, settings, path: dataDirectory + "/postgresql.conf")
        // initdb's own pg_hba.conf is replaced before the server first starts.
        try writeAuthentication(server: server)
    }

    /// Makes `path` a 0700 directory of the server's user, refusing one that is a symbolic link
    /// or belongs to anybody else.
    func makeServerDirectory(_ path: String, server: OSUser) throws {
        if mkdir(path, 0o700) != 0, errno != EEXIST {
            throw LedgerError.internal("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard lstat(path, &info) == 0, LocalCluster.isDirectory(info) else {
            throw LedgerError.invalidInput("\(path) is not a directory (a symbolic link?); remove it")
        }
        if info.st_uid != server.uid {
            // Only a directory this process just made (owned by us, root) may be handed over.
            guard LocalCluster.isRoot, info.st_uid == 0 else {
                throw LedgerError.invalidInput(
                    "\(path) is owned by \(LocalCluster.userName(info.st_uid)), not by \(server.name), the user "
                        + "that runs the embedded server; refusing to use it")
            }
            guard chown(path, server.uid, server.gid) == 0 else {
                throw LedgerError.internal("cannot chown \(path): \(String(cString: strerror(errno)))")
            }
        }
        chmod(path, 0o700)
    }

    func start(server: OSUser) throws {
        let result = try runAsServer(
            [try LocalCluster.binary("pg_ctl"), "-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "start"],
            as: server)
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

    /// Runs `body` holding an exclusive lock on `home/lock` (opened without following a
    /// symbolic link; it must be a regular file of ours).
    func withLock(_ body: () throws -> Void) throws {
        let descriptor = try openPrivateFile(home + "/lock", flags: O_CREAT | O_RDWR)
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

    /// Runs a command as `user` (through `runuser` when we are root), from `/`, collecting its
    /// output.
    func runAsServer(_ arguments: [String], as user: OSUser) throws -> (status: Int32, output: String) {
        var command = arguments
        if LocalCluster.isRoot {
            guard user.uid != 0 else {
                throw LedgerError.internal("refusing to run the embedded PostgreSQL server as root")
            }
            command = ["/usr/sbin/runuser", "-u", user.name, "--"] + arguments
        }
        return try capture(command)
    }

    /// Runs a command from `/`, collecting its output.
    ///
    /// The output goes to a file in the home, not a pipe: `pg_ctl start` leaves the server running
    /// with the command's descriptors, and a pipe would then never reach end-of-file. The file is
    /// created afresh (never through a symbolic link) and read back through its descriptor.
    func capture(_ command: [String]) throws -> (status: Int32, output: String) {
        let outputPath = home + "/.command-output-\(getpid())"
        unlink(outputPath)
        let descriptor = try openPrivateFile(outputPath, flags: O_CREAT | O_EXCL | O_RDWR)
        defer {
            close(descriptor)
            unlink(outputPath)
        }
        let status = try LocalCluster.spawn(command, outputDescriptor: descriptor)
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 16_384)
        var offset: off_t = 0
        while true {
            let count = pread(descriptor, &buffer, buffer.count, offset)
            guard count > 0 else { break }
            data.append(contentsOf: buffer[0..<count])
            offset += off_t(count)
        }
        return (status, String(decoding: data, as: UTF8.self))
    }

    /// posix_spawn + waitpid: stdin from /dev/null, stdout and stderr to `outputDescriptor`,
    /// working directory `/`. Returns the exit status (128 + signal when killed).
    static func spawn(_ command: [String], outputDescriptor: Int32) throws -> Int32 {
        closeInheritedDescriptorsOnExec()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // dup2 clears close-on-exec on the copies.
        posix_spawn_file_actions_adddup2(&actions, outputDescriptor, 1)
        posix_spawn_file_actions_adddup2(&actions, outputDescriptor, 2)
        var pid: pid_t = 0
        // `cd /` first: as the server's user, the caller's directory may not be enterable.
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

    /// Writes all of `text` to `descriptor`.
    static func writeAll(_ descriptor: Int32, _ text: String, path: String) throws {
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else {
                if count < 0, errno == EINTR { continue }
                throw LedgerError.internal("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            written += count
        }
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
