import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The pid of the `accessledger serve` child while one runs (0 otherwise), for the signal
/// handler that kills it when the harness itself is interrupted.
private let runningServer = Atomic<Int32>(0)

/// `accessledger serve --listen 127.0.0.1:0 --database CONNINFO` as a child process: started,
/// waited for until it prints `listening on http://127.0.0.1:PORT`, and always stopped again
/// (``stop()``, also from `deinit`, and SIGKILLed if the harness gets SIGINT, SIGTERM or SIGHUP).
///
/// Its stdout is a pipe that only that one line is read from (the service prints nothing else
/// there); its stderr, one line per request, goes to a temporary file that is removed on stop.
final class ServerProcess {
    let pid: pid_t
    /// `http://127.0.0.1:PORT`.
    let baseURL: String
    private let output: Int32
    private let logPath: String
    private var stopped = false

    /// The release `accessledger` binary: `$ACCESSLEDGER_BENCH_SERVER`, else the one next to
    /// this executable (tools/bench builds both into the same directory).
    static func binary(environment: [String: String]) throws -> String {
        if let path = environment["ACCESSLEDGER_BENCH_SERVER"], !path.isEmpty { return path }
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { throw BenchError("cannot find this executable (/proc/self/exe)") }
        let me = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let directory = me.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let path = directory + "/accessledger"
        guard access(path, X_OK) == 0 else {
            throw BenchError(
                "no accessledger binary at \(path): build it with "
                    + "`swift build -c release --scratch-path .build-bench --product accessledger` "
                    + "(tools/bench does) or set ACCESSLEDGER_BENCH_SERVER")
        }
        return path
    }

    /// Starts the service and waits (at most `readyTimeout` seconds) for its listening line.
    /// - Throws: ``BenchError`` with the end of its log when it cannot start or exits early.
    init(binary: String, conninfo: String, readyTimeout: Double = 60) throws {
        var template = Array("/tmp/accessledger-bench-serve.XXXXXX".utf8CString)
        let logDescriptor = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { mkstemp($0) } ?? -1
        }
        guard logDescriptor >= 0 else { throw BenchError("cannot create a temporary file: errno \(errno)") }
        close(logDescriptor)
        let log = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        logPath = log

        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else {
            unlink(log)
            throw BenchError("cannot create a pipe: errno \(errno)")
        }
        // Neither end may leak into the child as such (dup2 gives it the write end as fd 1).
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_TRUNC, 0o600)

        let arguments = [binary, "serve", "--listen", "127.0.0.1:0", "--database", conninfo]
        var pointers: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        ServerProcess.installSignalHandlers()
        var child: pid_t = 0
        let spawned = posix_spawn(&child, binary, &actions, nil, pointers, environ)
        close(pipeEnds[1])
        guard spawned == 0 else {
            close(pipeEnds[0])
            unlink(log)
            throw BenchError("cannot start \(binary): error \(spawned)")
        }
        pid = child
        let reader = pipeEnds[0]
        output = reader
        runningServer.store(child, ordering: .sequentiallyConsistent)

        // From here on a failure must stop the child: `stop()` is safe on a half-started one.
        var line: String?
        var problem = "it exited before listening"
        var bytes: [UInt8] = []
        let deadline = MonotonicClock.now() + readyTimeout
        waiting: while line == nil {
            let left = deadline - MonotonicClock.now()
            guard left > 0 else {
                problem = "it printed no listening line within \(Int(readyTimeout)) s"
                break
            }
            var descriptor = pollfd(fd: reader, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(min(left, 1) * 1000))
            if ready < 0 && errno == EINTR { continue }
            guard ready >= 0 else {
                problem = "poll failed: errno \(errno)"
                break
            }
            guard ready > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 512)
            let count = read(reader, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break waiting }
            bytes += chunk[0..<count]
            if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) {
                line = String(decoding: bytes[..<newline], as: UTF8.self)
            }
        }
        let prefix = "listening on "
        guard let line, line.hasPrefix(prefix + "http://127.0.0.1:"), Int(line.split(separator: ":").last ?? "") != nil
        else {
            baseURL = ""
            let tail = logTail()
            if let line { problem = "its first stdout line was \"\(line)\", not \"listening on http://127.0.0.1:PORT\"" }
            stop()
            throw BenchError("accessledger serve did not start: \(problem)\n\(tail)")
        }
        baseURL = String(line.dropFirst(prefix.count))
    }

    deinit { stop() }

    /// The child's peak resident set size so far (`VmHWM` of `/proc/PID/status`), in KiB.
    func peakResidentKiB() -> Int? {
        guard !stopped, let status = ChildProcess.readFile("/proc/\(pid)/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.dropFirst(6).split(whereSeparator: \.isWhitespace).first ?? "")
        }
        return nil
    }

    /// Resets the child's peak RSS to its current RSS (`echo 5 > /proc/PID/clear_refs`), so that
    /// the next ``peakResidentKiB()`` is the peak of what runs in between. False when refused.
    func resetPeak() -> Bool {
        !stopped && ChildProcess.writeFile("/proc/\(pid)/clear_refs", "5")
    }

    /// The last lines of the service's log (stderr), for error messages.
    func logTail(lines: Int = 15) -> String {
        guard let text = ChildProcess.readFile(logPath) else { return "(no log)" }
        return text.split(separator: "\n").suffix(lines).map { "  serve: " + $0 }.joined(separator: "\n")
    }

    /// The durations the service logged itself (from routing to the answer, without the
    /// network and the client), in ms, by `METHOD ROUTE`.
    func loggedDurations() -> [String: Samples] {
        var durations: [String: Samples] = [:]
        for line in (ChildProcess.readFile(logPath) ?? "").split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count >= 5, words[words.count - 1] == "ms", let milliseconds = Double(words[words.count - 2])
            else { continue }
            durations["\(words[words.count - 5]) \(words[words.count - 4])", default: Samples()].append(milliseconds)
        }
        return durations
    }

    /// SIGTERM (a graceful stop: the service finishes what is in flight), SIGKILL after 15 s,
    /// then reaps the child and removes its log. Safe to call more than once.
    func stop() {
        guard !stopped else { return }
        stopped = true
        if pid > 0 {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            let deadline = MonotonicClock.now() + 15
            var reaped = false
            while MonotonicClock.now() < deadline {
                let result = waitpid(pid, &status, WNOHANG)
                if result == pid || (result < 0 && errno != EINTR) {
                    reaped = true
                    break
                }
                usleep(10_000)
            }
            if !reaped {
                Log.line("warning: accessledger serve did not stop within 15 s of SIGTERM: killing it")
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            } else if status & 0x7F != 0 || (status >> 8) & 0xFF != 0 {
                Log.line("warning: accessledger serve exited with status \(status) on SIGTERM")
            }
            runningServer.store(0, ordering: .sequentiallyConsistent)
        }
        if output >= 0 { close(output) }
        unlink(logPath)
    }

    /// SIGINT, SIGTERM and SIGHUP kill a running service child before the harness exits, so
    /// that it is never left behind listening on a database that is about to go away.
    private static func installSignalHandlers() {
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber) { received in
                let child = runningServer.load(ordering: .sequentiallyConsistent)
                if child > 0 { kill(child, SIGKILL) }
                _exit(128 + received)
            }
        }
    }
}
