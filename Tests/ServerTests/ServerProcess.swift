import AccessModel
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import TestSupport
import Testing

/// A running `accessledger serve` child process, started on port 0 against a given database:
/// the built binary, exactly as an operator runs it. Its stderr (the request log) is collected;
/// it is stopped with SIGTERM (graceful) or SIGKILL.
final class ServerProcess: Sendable {
    /// The port from the `listening on http://127.0.0.1:PORT` line.
    let port: Int
    let conninfo: String
    private let child: ChildProcess

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var pid: pid_t { child.pid }

    /// What the process wrote to stderr so far.
    var stderr: String { child.errorText }

    /// Starts `accessledger serve --listen 127.0.0.1:0 --database CONNINFO` and waits (at most
    /// `timeout`) for its one stdout line.
    /// - Throws: ``TestSetupError`` with the process's stderr when it exits or stays silent.
    static func start(conninfo: String, arguments: [String] = [], timeout: Duration = .seconds(30)) throws
        -> ServerProcess
    {
        let child = try ChildProcess.spawn(
            accessledgerBinary(), ["serve", "--listen", "127.0.0.1:0", "--database", conninfo] + arguments)
        let deadline = ContinuousClock.now + timeout
        while true {
            let output = child.outputText
            if let newline = output.firstIndex(of: "\n") {
                let line = output[..<newline]
                let prefix = "listening on http://127.0.0.1:"
                guard line.hasPrefix(prefix), let port = Int(line.dropFirst(prefix.count)) else {
                    child.kill()
                    throw TestSetupError("unexpected first stdout line of serve: \(line)\nstderr: \(child.errorText)")
                }
                return ServerProcess(port: port, conninfo: conninfo, child: child)
            }
            if let exit = child.exit {
                throw TestSetupError("serve ended (\(exit)) before listening\nstderr: \(child.errorText)")
            }
            if ContinuousClock.now > deadline {
                child.kill()
                throw TestSetupError(
                    "serve did not print its listening line within \(timeout)\nstderr: \(child.errorText)")
            }
            usleep(10_000)
        }
    }

    private init(port: Int, conninfo: String, child: ChildProcess) {
        self.port = port
        self.conninfo = conninfo
        self.child = child
    }

    var isRunning: Bool { child.exit == nil }

    /// Sends `signal` (SIGTERM, SIGKILL, …) when the process still runs.
    func send(_ signal: Int32) { child.send(signal) }

    /// Waits (polling, at most `timeout`) for the process to end; nil when it still runs.
    func waitForExit(timeout: Duration) async -> ChildProcess.Exit? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let exit = child.exit { return exit }
            if ContinuousClock.now > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// SIGKILL unless it already ended, then reap it: for `defer`.
    func forceStop() { child.kill() }
}

/// A child process started with posix_spawn, reaped with waitpid: every wait is bounded (no
/// Foundation `Process`, whose `waitUntilExit` was seen to hang on a child that had exited).
final class ChildProcess: Sendable {
    /// How a process ended.
    struct Exit: Equatable, Sendable, CustomStringConvertible {
        /// The exit status, or the signal that ended it.
        var status: Int32
        var signaled: Bool
        var description: String { signaled ? "killed by signal \(status)" : "exit status \(status)" }
    }

    /// What a program run to its end did.
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    let pid: pid_t
    private let output: PipeReader
    private let errors: PipeReader
    private let ended = Mutex<Exit?>(nil)

    private init(pid: pid_t, output: PipeReader, errors: PipeReader) {
        self.pid = pid
        self.output = output
        self.errors = errors
    }

    var outputText: String { output.text }
    var errorText: String { errors.text }

    /// Starts `executable` with `arguments`, no stdin, and `environment` added to PATH and HOME.
    static func spawn(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws
        -> ChildProcess
    {
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        if let home = ProcessInfo.processInfo.environment["HOME"] { env["HOME"] = home }
        env.merge(environment) { _, new in new }
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw TestSetupError("pipe failed: \(errno)") }
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        close(outPipe[1])
        close(errPipe[1])
        guard status == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw TestSetupError("posix_spawn \(executable) failed: \(status)")
        }
        return ChildProcess(pid: pid, output: PipeReader(outPipe[0]), errors: PipeReader(errPipe[0]))
    }

    /// How it ended, or nil while it runs (reaps it when it has ended).
    var exit: Exit? {
        ended.withLock { ended in
            if let ended { return ended }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            let signal = status & 0x7F
            ended =
                signal == 0 ? Exit(status: (status >> 8) & 0xFF, signaled: false) : Exit(status: signal, signaled: true)
            return ended
        }
    }

    func send(_ signal: Int32) {
        if exit == nil { _ = Foundation.kill(pid, signal) }
    }

    /// Waits at most `timeout` for the process to end; nil when it still runs.
    func wait(timeout: Duration) -> Exit? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let exit { return exit }
            if ContinuousClock.now > deadline { return nil }
            usleep(5_000)
        }
    }

    /// SIGKILL unless it already ended, then reap it.
    func kill() {
        send(SIGKILL)
        _ = wait(timeout: .seconds(10))
    }

    /// Waits at most `timeout` for both pipes to reach their end (a daemon the child started
    /// may hold them open; then what was read so far is kept).
    func drain(timeout: Duration) {
        let deadline = ContinuousClock.now + timeout
        while !(output.finished && errors.finished) && ContinuousClock.now < deadline { usleep(2_000) }
    }

    /// Runs a program to its end, at most `timeout` (then SIGKILL), collecting its output.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) throws -> Result {
        let child = try spawn(executable, arguments, environment: environment)
        guard let exit = child.wait(timeout: timeout) else {
            child.kill()
            throw TestSetupError(
                "\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout): \(child.errorText)"
            )
        }
        child.drain(timeout: .seconds(2))
        return Result(
            status: exit.signaled ? 128 + exit.status : exit.status, stdout: child.outputText, stderr: child.errorText)
    }
}

/// Reads a pipe to its end on a thread of its own, keeping what was read.
private final class PipeReader: Sendable {
    private let data = Mutex<(bytes: [UInt8], finished: Bool)>(([], false))

    var text: String { String(decoding: data.withLock { $0.bytes }, as: UTF8.self) }
    var finished: Bool { data.withLock { $0.finished } }

    init(_ fd: Int32) {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                self.data.withLock { $0.bytes.append(contentsOf: buffer[0..<count]) }
            }
            close(fd)
            self.data.withLock { $0.finished = true }
        }
        thread.start()
    }
}

// MARK: - HTTP

extension ServerProcess {
    /// One HTTP answer: status, headers and the body as text.
    struct Answer: Sendable, CustomStringConvertible {
        var status: Int
        var headers: HTTPHeaders
        var body: String

        func json() throws -> JSONValue { try JSONValue.parse(body) }
        func header(_ name: String) -> String? { headers.first(name: name) }
        var description: String { "HTTP \(status) \(body.prefix(600))" }
    }

    /// An HTTP client for the service at `baseURL`, acting with `token` (a bearer secret).
    struct API: Sendable {
        let client: HTTPClient
        let baseURL: String
        var token: String?

        func with(token: String?) -> API { API(client: client, baseURL: baseURL, token: token) }

        /// Sends one request; `authorization` replaces the bearer header when given.
        func send(
            _ method: HTTPMethod, _ path: String, body: String? = nil, headers: [(String, String)] = [],
            authorization: String? = nil, timeout: Duration = .seconds(20)
        ) async throws -> Answer {
            try await send(
                method, path, bytes: body.map { Array($0.utf8) }, headers: headers,
                authorization: authorization, timeout: timeout)
        }

        func send(
            _ method: HTTPMethod, _ path: String, bytes: [UInt8]?, headers: [(String, String)] = [],
            authorization: String? = nil, timeout: Duration = .seconds(20)
        ) async throws -> Answer {
            var request = HTTPClientRequest(url: baseURL + path)
            request.method = method
            if let authorization {
                request.headers.add(name: "Authorization", value: authorization)
            } else if let token {
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
            }
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let bytes {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: bytes))
            }
            let seconds = timeout.components.seconds
            let response = try await client.execute(request, timeout: .seconds(seconds))
            let collected = try await response.body.collect(upTo: 64 << 20)
            return Answer(
                status: Int(response.status.code), headers: response.headers,
                body: String(buffer: collected))
        }

        func get(_ path: String) async throws -> Answer { try await send(.GET, path) }
        func post(_ path: String, _ body: String? = nil, headers: [(String, String)] = []) async throws -> Answer {
            try await send(.POST, path, body: body, headers: headers)
        }
        func patch(_ path: String, _ body: String, headers: [(String, String)] = []) async throws -> Answer {
            try await send(.PATCH, path, body: body, headers: headers)
        }
    }

    /// Runs `body` with an HTTP client that may open `connections` connections to one host,
    /// and shuts the client down afterwards, whatever happens.
    static func withClient<T>(connections: Int = 8, _ body: (HTTPClient) async throws -> T) async throws -> T {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(20))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let value = try await body(client)
            try await client.shutdown()
            return value
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    func api(_ client: HTTPClient, token: String?) -> API { API(client: client, baseURL: baseURL, token: token) }
}

// MARK: - The database side, through the CLI

extension ServerProcess {
    /// A ledger database with its bootstrap site owner `admin` and a token of theirs, set up
    /// with the CLI, as an operator does before the first `serve`.
    struct Ledger: Sendable {
        let conninfo: String
        /// The throwaway database, when this ledger lives on the shared test cluster.
        let database: TestDatabase?
        let adminToken: String
        static let adminTokenName = "ops-token"

        /// A fresh migrated database on the shared cluster, bootstrapped.
        static func create() throws -> Ledger {
            let database = try TestDatabase.create()
            do {
                return try bootstrap(conninfo: database.conninfo, database: database)
            } catch {
                database.drop()
                throw error
            }
        }

        /// Creates `admin` and their token on an already migrated database.
        static func bootstrap(conninfo: String, database: TestDatabase? = nil) throws -> Ledger {
            let cli = CLIRunner(conninfo: conninfo)
            try cli.ok(["users", "create", "--username", "admin"])
            let token = try cli.token(user: "admin", name: adminTokenName, lifetime: "24h")
            return Ledger(conninfo: conninfo, database: database, adminToken: token)
        }

        var cli: CLIRunner { CLIRunner(conninfo: conninfo) }

        func drop() { database?.drop() }
    }

    /// Runs the CLI against one database, acting as `admin`.
    struct CLIRunner: Sendable {
        let conninfo: String

        func run(_ arguments: [String]) throws -> ChildProcess.Result {
            try ChildProcess.run(
                accessledgerBinary(), arguments,
                environment: ["ACCESSLEDGER_DATABASE_URL": conninfo, "ACCESSLEDGER_ACTOR": "admin"])
        }

        /// Runs `arguments`, expects exit 0, returns stdout.
        @discardableResult
        func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            let result = try run(arguments)
            guard result.status == 0 else {
                throw TestSetupError(
                    "accessledger \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
            }
            return result.stdout
        }

        /// `tokens create`, returning the secret (the last stdout line).
        func token(user: String, name: String, lifetime: String = "24h") throws -> String {
            let out = try ok(["tokens", "create", "--user", user, "--name", name, "--lifetime", lifetime])
            guard let secret = out.split(separator: "\n").last.map(String.init), secret.hasPrefix("al_") else {
                throw TestSetupError("no secret in the output of tokens create: \(out)")
            }
            return secret
        }

        /// `verify -o json`.
        func verify() throws -> JSONValue { try JSONValue.parse(try ok(["verify", "-o", "json"])) }

        /// The number of events, from `verify -o json`.
        func eventCount() throws -> Int64 {
            let report = try verify()
            guard report["ok"] == .bool(true), let events = report["events"]?.intValue else {
                throw TestSetupError("verify failed: \(report)")
            }
            return events
        }

        /// `audit log -o json` (with `filters`), as entries.
        func auditLog(_ filters: [String] = []) throws -> [JSONValue] {
            try JSONValue.parse(try ok(["audit", "log"] + filters + ["-o", "json"])).arrayValue ?? []
        }
    }

    /// A private cluster of its own (`tools/pg start DIR`), for tests that stop PostgreSQL.
    struct PrivateCluster: Sendable {
        let directory: String
        var conninfo: String { "host=\(directory)/sock dbname=postgres user=postgres" }

        static func start() throws -> PrivateCluster {
            let directory = "/tmp/alsrv-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
            let cluster = PrivateCluster(directory: directory)
            do {
                try cluster.pg("start")
            } catch {
                cluster.remove()
                throw error
            }
            return cluster
        }

        func pg(_ command: String) throws {
            let result = try ChildProcess.run(repositoryRoot + "/tools/pg", [command, directory])
            guard result.status == 0 else {
                throw TestSetupError("tools/pg \(command) \(directory) exited \(result.status): \(result.stderr)")
            }
        }

        /// Stops the cluster and removes its directory.
        func remove() {
            _ = try? ChildProcess.run(repositoryRoot + "/tools/pg", ["stop", directory])
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}

// MARK: - Checks

extension ServerProcess.Answer {
    /// Checks that this is the error body of SPEC §7 with `status` and `code`, and nothing else;
    /// returns its message.
    @discardableResult
    func expectError(_ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        #expect(self.status == status, "\(self)", sourceLocation: sourceLocation)
        guard let json = try? json() else {
            Issue.record("not JSON: \(self)", sourceLocation: sourceLocation)
            return ""
        }
        #expect(json.objectValue.map { Array($0.keys) } == ["error"], "\(self)", sourceLocation: sourceLocation)
        let error = json["error"]
        #expect(
            error?.objectValue?.keys.sorted() == ["code", "message"], "\(self)", sourceLocation: sourceLocation)
        #expect(error?["code"]?.stringValue == code, "\(self)", sourceLocation: sourceLocation)
        let message = error?["message"]?.stringValue ?? ""
        #expect(!message.isEmpty, "\(self)", sourceLocation: sourceLocation)
        #expect(
            header("Content-Type")?.hasPrefix("application/json") == true, "\(self)",
            sourceLocation: sourceLocation)
        return message
    }

    /// The `(position, hash)` of every event in a mutation's answer.
    var eventPositions: [(Int64, String)] {
        guard let events = (try? json())?["events"]?.arrayValue else { return [] }
        return events.compactMap { event in
            guard let position = event["position"]?.intValue, let hash = event["hash"]?.stringValue else {
                return nil
            }
            return (position, hash)
        }
    }
}

extension ServerProcess {
    /// The value of a sample without labels in Prometheus text.
    static func metric(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, parts[0] == name { return Double(parts[1]) }
        }
        return nil
    }
}

extension ServerProcess {
    /// A value shared by concurrent tasks.
    final class Shared<Value: Sendable>: Sendable {
        private let storage: Mutex<Value>
        init(_ value: Value) { storage = Mutex(value) }
        var value: Value {
            get { storage.withLock { $0 } }
            set { storage.withLock { $0 = newValue } }
        }
    }
}
