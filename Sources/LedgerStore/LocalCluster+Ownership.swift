import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Who may use an embedded home: the checks that keep another local user from planting or
/// swapping the server that accessledger (perhaps running as root) talks to.
extension LocalCluster {
    /// Refuses (``LedgerError/invalidInput(_:)``, exit 2) a home that is not the invoking
    /// user's: the home must be owned by the invoking user and not writable by group or others,
    /// and so must every directory above it, walking upwards until one owned by root (which must
    /// not be writable by group or others unless sticky, like `/tmp`). Paths are examined with
    /// `lstat`, so a symbolic link is checked as the link it is; when the path goes through
    /// links, the directory it leads to is checked as well. A home that does not exist yet
    /// passes when the directories that would hold it do.
    public func checkHome() throws {
        let me = geteuid()
        let path = LocalCluster.absolute(home)
        try LocalCluster.checkOwnership(of: path, home: home, user: me)
        if let resolved = realpath(path, nil) {
            let real = String(cString: resolved)
            free(resolved)
            if real != path { try LocalCluster.checkOwnership(of: real, home: home, user: me) }
        }
    }

    static func checkOwnership(of path: String, home: String, user: uid_t) throws {
        var components = path.split(separator: "/").map(String.init)
        var isHome = true
        while true {
            let current = "/" + components.joined(separator: "/")
            var info = stat()
            if lstat(current, &info) == 0 {
                let owner = info.st_uid
                if isHome, owner != user {
                    throw LedgerError.invalidInput(
                        "ACCESSLEDGER_HOME \(current) is not yours: it is owned by \(userName(owner)), not by you "
                            + "(\(userName(user))); accessledger refuses to use another user's embedded database. "
                            + "Choose a home of your own (or unset ACCESSLEDGER_HOME)")
                }
                if !isHome, owner != user, owner != 0 {
                    throw LedgerError.invalidInput(
                        "ACCESSLEDGER_HOME \(home) is not safely yours: the directory above it, \(current), is owned "
                            + "by \(userName(owner)), neither by you (\(userName(user))) nor by root, so that user "
                            + "could replace the home. Choose a home elsewhere")
                }
                if (info.st_mode & mode_t(S_IFMT)) != mode_t(S_IFLNK) {
                    let writable = info.st_mode & 0o022 != 0
                    let sticky = info.st_mode & mode_t(S_ISVTX) != 0
                    if writable, isHome || !sticky {
                        throw LedgerError.invalidInput(
                            "ACCESSLEDGER_HOME \(home) is not safely yours: \(current) (owned by \(userName(owner))) "
                                + "is writable by its group or by others (mode \(String(info.st_mode & 0o7777, radix: 8))"
                                + "); run chmod go-w \(current) or choose another home")
                    }
                }
                // Nothing above a root-owned directory can be changed by anyone but root.
                if !isHome, owner == 0 { return }
            } else if errno != ENOENT {
                throw LedgerError.invalidInput(
                    "cannot examine \(current) (ACCESSLEDGER_HOME \(home)): \(String(cString: strerror(errno)))")
            }
            if components.isEmpty { return }
            components.removeLast()
            isHome = false
        }
    }

    /// Opens a file in the home without following a symbolic link (O_NOFOLLOW, O_CLOEXEC; mode
    /// 0600 when created), and insists that it is a regular file of the invoking user.
    func openPrivateFile(_ path: String, flags: Int32) throws -> Int32 {
        let descriptor = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let code = errno
            if code == ELOOP {
                throw LedgerError.invalidInput(
                    "\(path) is a symbolic link; accessledger does not follow links in its home. Remove it")
            }
            throw LedgerError.internal("cannot open \(path): \(String(cString: strerror(code)))")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & mode_t(S_IFMT)) == mode_t(S_IFREG),
            info.st_uid == geteuid()
        else {
            close(descriptor)
            throw LedgerError.invalidInput(
                "\(path) is not a regular file of yours (owner \(LocalCluster.userName(info.st_uid))); remove it")
        }
        return descriptor
    }

    /// The OS user that owns the data directory and so runs (or ran) its server: the server
    /// user, or, as root, `postgres` for a home made by an older accessledger. nil when the
    /// cluster does not exist yet. Refuses a `pgdata` or `run` that is a symbolic link, not a
    /// directory, or owned by anybody else.
    func clusterOwner() throws -> OSUser? {
        var info = stat()
        guard lstat(dataDirectory, &info) == 0 else { return nil }
        let owner = try acceptableOwner(of: dataDirectory, info)
        if lstat(socketDirectory, &info) == 0 { _ = try acceptableOwner(of: socketDirectory, info) }
        return owner
    }

    private func acceptableOwner(of path: String, _ info: stat) throws -> OSUser {
        guard LocalCluster.isDirectory(info) else {
            throw LedgerError.invalidInput("\(path) is not a directory (a symbolic link?); refusing to use it")
        }
        let server = try LocalCluster.serverUser(create: false)
        if let server, info.st_uid == server.uid { return server }
        if LocalCluster.isRoot, let legacy = LocalCluster.user(named: LocalCluster.legacyServerUserName),
            info.st_uid == legacy.uid
        {
            return legacy
        }
        throw LedgerError.invalidInput(
            "\(path) is owned by \(LocalCluster.userName(info.st_uid)), not by "
                + "\(server?.name ?? LocalCluster.serverUserName), the user that runs the embedded server; "
                + "refusing to use it")
    }

    static func isDirectory(_ info: stat) -> Bool { (info.st_mode & mode_t(S_IFMT)) == mode_t(S_IFDIR) }

    /// `path` made absolute against the working directory.
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return FileManager.default.currentDirectoryPath + "/" + path
    }
}
