import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The pid of a running `accessledger` CLI child (0 otherwise), for the signal handler that
/// kills it when the harness itself is interrupted.
private let runningCLI = Atomic<Int32>(0)

/// `accessledger` CLI commands as child processes of the `feed` phase: short ones run to
/// completion (``run(_:arguments:timeout:)``), and a long one (`audit follow`) whose stdout is a
/// pipe the harness drains (``init(binary:arguments:)``). Every child is stopped on every path:
/// ``stop()`` (also from `deinit`) sends SIGINT, then SIGKILL after a grace period, and reaps it;
/// SIGINT, SIGTERM or SIGHUP to the harness kill it first.
final class CLIProcess {
    let pid: pid_t
    /// The read end of the child's stdout.
    let output: Int32
    private let errorPath: String
    private var stopped = false

    /// Starts `binary arguments…` with stdin from /dev/null, stdout into a pipe (``output``),
    /// stderr into a temporary file (``errorTail()``).
    init(binary: String, arguments: [String]) throws {
        errorPath = try CLIProcess.temporaryFile("/tmp/accessledger-bench-cli.XXXXXX")
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else {
            unlink(errorPath)
            throw BenchError("cannot create a pipe: errno \(errno)")
        }
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_TRUNC, 0o600)
        let all = [binary] + arguments
        var pointers: [UnsafeMutablePointer<CChar>?] = all.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        CLIProcess.installSignalHandlers()
        var child: pid_t = 0
        let spawned = posix_spawn(&child, binary, &actions, nil, pointers, environ)
        close(pipeEnds[1])
        guard spawned == 0 else {
            close(pipeEnds[0])
            unlink(errorPath)
            throw BenchError("cannot start \(binary): error \(spawned)")
        }
        pid = child
        output = pipeEnds[0]
        runningCLI.store(child, ordering: .sequentiallyConsistent)
    }

    deinit { stop() }

    /// Whether the child has exited (reaping it); its wait status then.
    func exited() -> Int32? {
        guard !stopped else { return 0 }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return nil }
        stopped = true
        runningCLI.store(0, ordering: .sequentiallyConsistent)
        if output >= 0 { close(output) }
        return status
    }

    /// SIGINT (`audit follow` exits 0 on it), SIGKILL after `grace` seconds, then reaps the child,
    /// closes the pipe and removes the error file. Returns the wait status (nil when it had to
    /// be killed or was reaped before). Safe to call more than once.
    @discardableResult
    func stop(grace: Double = 5) -> Int32? {
        defer { unlink(errorPath) }
        guard !stopped else { return nil }
        stopped = true
        defer {
            runningCLI.store(0, ordering: .sequentiallyConsistent)
            if output >= 0 { close(output) }
        }
        kill(pid, SIGINT)
        var status: Int32 = 0
        let deadline = MonotonicClock.now() + grace
        while MonotonicClock.now() < deadline {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return status }
            if result < 0 && errno != EINTR { return nil }
            usleep(5_000)
        }
        Log.line("warning: \(pid) did not exit within \(Format.readable(grace)) s of SIGINT: killing it")
        kill(pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return nil
    }

    /// The last lines the child wrote to stderr.
    func errorTail(lines: Int = 10) -> String {
        guard let text = ChildProcess.readFile(errorPath), !text.isEmpty else { return "(nothing on stderr)" }
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// Runs `binary arguments…` to completion (killed after `timeout` seconds) and returns its
    /// exit code with what it printed (stdout and stderr).
    static func run(_ binary: String, arguments: [String], timeout: Double = 60) throws -> (
        code: Int32, output: String
    ) {
        let child = try CLIProcess(binary: binary, arguments: arguments)
        defer { child.stop() }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = MonotonicClock.now() + timeout
        while MonotonicClock.now() < deadline {
            var descriptor = pollfd(fd: child.output, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 200)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            let count = read(child.output, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }  // EOF: it exited (or closed stdout)
            bytes += buffer[0..<count]
        }
        var status: Int32 = 0
        let reapDeadline = MonotonicClock.now() + max(1, deadline - MonotonicClock.now())
        while MonotonicClock.now() < reapDeadline {
            if let exited = child.exited() {
                status = exited
                let text = String(decoding: bytes, as: UTF8.self) + "\n" + child.errorTail()
                let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
                return (code, text)
            }
            usleep(5_000)
        }
        let tail = child.errorTail()
        throw BenchError(
            "\(arguments.prefix(2).joined(separator: " ")) did not finish within \(Int(timeout)) s\n\(tail)")
    }

    static func temporaryFile(_ pattern: String) throws -> String {
        var template = Array(pattern.utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { mkstemp($0) } ?? -1
        }
        guard descriptor >= 0 else { throw BenchError("cannot create a temporary file: errno \(errno)") }
        close(descriptor)
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// SIGINT, SIGTERM and SIGHUP kill a running CLI child before the harness exits.
    /// (`ServerProcess` installs its own handlers when a server starts; no CLI child of this kind
    /// outlives the server phase it belongs to by more than its `stop()`.)
    private static func installSignalHandlers() {
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber) { received in
                let child = runningCLI.load(ordering: .sequentiallyConsistent)
                if child > 0 { kill(child, SIGKILL) }
                _exit(128 + received)
            }
        }
    }
}
