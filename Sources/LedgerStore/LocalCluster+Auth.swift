import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The embedded server's OS user and its authentication: `peer` over the unix socket, mapped by
/// `pg_ident.conf` to the database user `accessledger`, and the in-place conversion of homes
/// made by older versions (server user `postgres`, `trust` authentication).
extension LocalCluster {
    /// An OS account.
    struct OSUser: Sendable, Equatable {
        let name: String
        let uid: uid_t
        let gid: gid_t
    }

    /// The system user that runs the embedded server when accessledger runs as root.
    static let serverUserName = "accessledger"
    /// The user that ran it in homes made by older versions.
    static let legacyServerUserName = "postgres"
    /// The `pg_ident.conf` map name.
    static let identMap = "accessledger"

    static func user(named name: String) -> OSUser? {
        guard let entry = getpwnam(name) else { return nil }
        return OSUser(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    static func user(id: uid_t) -> OSUser? {
        guard let entry = getpwuid(id), let name = entry.pointee.pw_name else { return nil }
        return OSUser(name: String(cString: name), uid: id, gid: entry.pointee.pw_gid)
    }

    static func userName(_ id: uid_t) -> String { user(id: id)?.name ?? "uid \(id)" }

    /// The invoking OS user.
    static func invokingUser() throws -> OSUser {
        guard let me = user(id: geteuid()) else {
            throw LedgerError.database(
                "the embedded database needs a named OS user, and uid \(geteuid()) has none (no passwd entry); "
                    + "point accessledger at a database with --database or ACCESSLEDGER_DATABASE_URL")
        }
        return me
    }

    /// The OS user that runs the embedded server: the invoking user, or as root the dedicated
    /// system user `accessledger`, created when missing and `create` is set (else nil).
    static func serverUser(create: Bool) throws -> OSUser? {
        guard isRoot else { return try invokingUser() }
        if let existing = user(named: serverUserName) { return existing }
        guard create else { return nil }
        let arguments = [
            "--system", "--no-create-home", "--home-dir", "/", "--shell", "/usr/sbin/nologin", serverUserName,
        ]
        let useradd =
            FileManager.default.isExecutableFile(atPath: "/usr/sbin/useradd") ? "/usr/sbin/useradd" : "useradd"
        var output = ""
        do {
            let pipe = Pipe()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "cd / && exec \"$@\"", "sh", useradd] + arguments
            process.standardOutput = pipe
            process.standardError = pipe
            process.standardInput = FileHandle.nullDevice
            try process.run()
            output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmed
            process.waitUntilExit()
        } catch {
            output = "\(error)"
        }
        // Another process may have created it meanwhile; either way it must exist now.
        if let created = user(named: serverUserName) { return created }
        throw LedgerError.database(
            "running as root, the embedded PostgreSQL runs as its own system user '\(serverUserName)' (PostgreSQL "
                + "refuses to run as root), which does not exist and could not be created: "
                + "\(useradd) \(arguments.joined(separator: " ")) said: \(output.isEmpty ? "nothing" : output). "
                + "Create the user yourself, or point accessledger at a database with --database or "
                + "ACCESSLEDGER_DATABASE_URL")
    }

    /// `pg_hba.conf`: the unix socket only, `peer` authentication through the map.
    var hbaText: String {
        """
        # accessledger: unix socket only (listen_addresses = ''), peer authentication. The OS users
        # allowed in, all as the database user accessledger, are listed in pg_ident.conf.
        local   all   all   peer map=\(LocalCluster.identMap)

        """
    }

    /// `pg_ident.conf`: the invoking user (the home's owner) and the server's own user.
    func identText(server: OSUser) throws -> String {
        var names = [try LocalCluster.invokingUser().name]
        if !names.contains(server.name) { names.append(server.name) }
        return "# accessledger: OS users that may connect, as the database user \(LocalCluster.superuser).\n"
            + names.map { "\(LocalCluster.identMap)   \($0)   \(LocalCluster.superuser)\n" }.joined()
    }

    /// Whether the cluster exists and is laid out as this version makes it: data and socket
    /// directories of the server user, peer authentication, a private log. Only reads.
    func isCurrent(server: OSUser) -> Bool {
        var info = stat()
        for directory in [dataDirectory, socketDirectory] {
            guard lstat(directory, &info) == 0, LocalCluster.isDirectory(info), info.st_uid == server.uid,
                info.st_mode & 0o077 == 0
            else { return false }
        }
        if lstat(logFile, &info) == 0 {
            guard (info.st_mode & mode_t(S_IFMT)) == mode_t(S_IFREG), info.st_uid == server.uid,
                info.st_mode & 0o077 == 0
            else { return false }
        }
        return authenticationIsCurrent(server: server)
    }

    func authenticationIsCurrent(server: OSUser) -> Bool {
        guard let ident = try? identText(server: server) else { return false }
        return readClusterFile("pg_hba.conf") == hbaText && readClusterFile("pg_ident.conf") == ident
    }

    func readClusterFile(_ name: String) -> String? {
        let descriptor = open(dataDirectory + "/" + name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 8_192)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else { break }
            data.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Replaces `pg_hba.conf` and `pg_ident.conf` (written to a new file, never through a link,
    /// then renamed over the old one), owned by the server user, mode 0600.
    func writeAuthentication(server: OSUser) throws {
        try writeClusterFile("pg_ident.conf", try identText(server: server), server: server)
        try writeClusterFile("pg_hba.conf", hbaText, server: server)
    }

    func writeClusterFile(_ name: String, _ text: String, server: OSUser) throws {
        let path = dataDirectory + "/" + name
        let temporary = path + ".accessledger-new"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LedgerError.internal("cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        try LocalCluster.writeAll(descriptor, text, path: temporary)
        if LocalCluster.isRoot { fchown(descriptor, server.uid, server.gid) }
        fsync(descriptor)
        guard rename(temporary, path) == 0 else {
            throw LedgerError.internal("cannot replace \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Brings a home made by an older accessledger up to date, in place: with the server
    /// stopped, hands the data directory, socket directory and log to the server user (as root:
    /// from `postgres` to `accessledger`), then replaces the `trust` authentication with peer.
    /// The authentication files are written last, so an interrupted conversion is redone by the
    /// next command. Idempotent; callers hold the home's lock.
    func convertIfNeeded(server: OSUser) throws {
        guard let owner = try clusterOwner() else { return }
        var info = stat()
        let runOwner = lstat(socketDirectory, &info) == 0 ? info.st_uid : server.uid
        let authentication = authenticationIsCurrent(server: server)
        if owner == server, runOwner == server.uid, authentication { return }
        if LocalCluster.isRoot {
            // The server, if running, runs as the data directory's owner.
            _ = try stop(as: owner)
            let chown = FileManager.default.isExecutableFile(atPath: "/bin/chown") ? "/bin/chown" : "chown"
            // -R -P -h: never follow a symbolic link, change links themselves.
            let result = try capture([
                chown, "-R", "-P", "-h", "\(server.uid):\(server.gid)", dataDirectory, socketDirectory,
            ])
            guard result.status == 0 else {
                throw LedgerError.database(
                    "cannot hand the embedded database in \(home) to the \(server.name) user: \(result.output.trimmed)")
            }
            chmod(dataDirectory, 0o700)
            chmod(socketDirectory, 0o700)
            try secureLogFile(server: server)
            try writeAuthentication(server: server)
            return
        }
        // Not root: everything is ours already; only the authentication changes.
        try writeAuthentication(server: server)
        if isRunning(as: server) {
            let result = try runAsServer(
                [try LocalCluster.binary("pg_ctl"), "-D", dataDirectory, "reload"], as: server)
            guard result.status == 0 else {
                throw LedgerError.database("pg_ctl reload failed: \(result.output.trimmed)")
            }
        }
    }

    /// Makes the server's log a regular file of the server user, mode 0600, creating it so
    /// before `pg_ctl -l` would create it with the default mode.
    func secureLogFile(server: OSUser) throws {
        let descriptor = open(logFile, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LedgerError.invalidInput(
                "cannot open \(logFile) (a symbolic link?): \(String(cString: strerror(errno))); remove it")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & mode_t(S_IFMT)) == mode_t(S_IFREG) else {
            throw LedgerError.invalidInput("\(logFile) is not a regular file; remove it")
        }
        if info.st_uid != server.uid {
            let legacy = LocalCluster.user(named: LocalCluster.legacyServerUserName)?.uid
            guard LocalCluster.isRoot, info.st_uid == 0 || info.st_uid == legacy else {
                throw LedgerError.invalidInput(
                    "\(logFile) is owned by \(LocalCluster.userName(info.st_uid)), not by \(server.name), the user "
                        + "that runs the embedded server; refusing to use it")
            }
            fchown(descriptor, server.uid, server.gid)
        }
        fchmod(descriptor, 0o600)
    }
}
