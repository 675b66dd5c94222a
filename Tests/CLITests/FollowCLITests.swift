import AccessModel
import Foundation
import Synchronization
import TestSupport
import Testing

/// Following the ledger from the CLI (SPEC §8): `audit follow` against concurrent writers, its
/// ways of ending, the restart queue (`pending`), and refused input of `webhooks` and `follow`.
@Suite("CLI: following the ledger")
struct FollowCLITests {
    // MARK: 7. audit follow

    /// `audit follow --after P -o json` prints the backlog after P, then what 8 concurrent writer
    /// processes append: exactly P+1 … N, one JSON object a line, each the `audit log` entry;
    /// SIGINT ends it with exit 0.
    @Test func followPrintsBacklogThenConcurrentAppendsWithoutGapOrRepeat() async throws {
        let cli = try LedgerCLI.make()
        defer { cli.drop() }
        try cli.createUsers(["b1", "b2", "b3", "b4"])
        let p: Int64 = 2
        let backlogHead = try cli.eventCount()

        let follower = try FollowProcess.start(cli, ["audit", "follow", "--after", String(p), "-o", "json"])
        defer { follower.kill() }
        #expect(
            await follower.waitForLines(Int(backlogHead - p), timeout: .seconds(10)),
            "backlog: \(follower.lines) \(follower.stderr)")

        // 8 writer processes at once, 4 commands each.
        let errors = onThreads(8) { writer in
            for index in 0..<4 {
                let result = try runCLI(
                    ["users", "create", "--username", "w\(writer)-\(index)"],
                    environment: ["ACCESSLEDGER_DATABASE_URL": cli.db.conninfo, "ACCESSLEDGER_ACTOR": "admin"])
                guard result.status == 0 else { throw TestSetupError(result.stderr) }
            }
        }
        #expect(errors.isEmpty, "\(errors)")
        let head = try cli.eventCount()
        #expect(head == backlogHead + 32)
        #expect(
            await follower.waitForLines(Int(head - p), timeout: .seconds(10)),
            "got \(follower.lines.count) lines, expected \(head - p)")
        // Nothing more than that arrives.
        try await Task.sleep(for: .milliseconds(300))
        let lines = follower.lines
        let printed = try lines.map { try JSONValue.parse($0) }
        #expect(printed.compactMap { $0["position"]?.intValue } == Array((p + 1)...head))
        let log = try cli.events()
        #expect(printed == Array(log.dropFirst(Int(p))), "follow -o json differs from audit log -o json")

        follower.send(SIGINT)
        let exit = await follower.waitForExit(timeout: .seconds(5))
        #expect(exit == .init(status: 0, signaled: false), "\(String(describing: exit)) \(follower.stderr)")
        #expect(follower.stderr.isEmpty, "\(follower.stderr)")
    }

    /// Without `--after`, `audit follow` prints only events appended after it started (table:
    /// one line per event starting with the position); SIGTERM ends it with exit 0.
    @Test func followWithoutAfterPrintsOnlyNewEvents() async throws {
        let cli = try LedgerCLI.make()
        defer { cli.drop() }
        try cli.createUsers(["a1", "a2"])
        let startHead = try cli.eventCount()
        let follower = try FollowProcess.start(cli, ["audit", "follow"])
        defer { follower.kill() }
        // It starts at the head when it has connected: append until it prints something
        // (bounded), then a few more.
        var appended = 0
        for _ in 0..<40 where follower.lines.isEmpty {
            try cli.ok(["users", "create", "--username", "n\(appended)"])
            appended += 1
            _ = await follower.waitForLines(1, timeout: .milliseconds(250))
        }
        #expect(!follower.lines.isEmpty, "follow printed nothing: \(follower.stderr)")
        try cli.createUsers(["m1", "m2", "m3"])
        let head = try cli.eventCount()
        let first = follower.lines.first.flatMap { Int64($0.split(separator: " ").first ?? "") } ?? 0
        #expect(first > startHead, "printed an event from before it started: \(follower.lines)")
        #expect(await follower.waitForLines(Int(head - first + 1), timeout: .seconds(10)))
        let positions = follower.lines.map { Int64($0.split(separator: " ").first ?? "") }
        #expect(positions == Array(first...head).map { Optional($0) }, "\(follower.lines)")
        #expect(follower.lines.last?.contains("user_created") == true)
        #expect(follower.lines.last?.contains("user:m3") == true, "\(follower.lines)")

        follower.send(SIGTERM)
        let exit = await follower.waitForExit(timeout: .seconds(5))
        #expect(exit == .init(status: 0, signaled: false), "\(String(describing: exit)) \(follower.stderr)")
    }

    /// `accessledger audit follow -o json | head -n 3`: once its reader has gone, the next event
    /// it writes ends it, with exit 0, promptly.
    @Test func followEndsWhenItsOutputIsClosed() async throws {
        let cli = try LedgerCLI.make()
        defer { cli.drop() }
        try cli.createUsers(["c1", "c2", "c3", "c4", "c5"])
        let follower = try FollowProcess.start(
            cli, ["audit", "follow", "--after", "0", "-o", "json"], closeOutputAfterLines: 3)
        defer { follower.kill() }
        #expect(await follower.waitForLines(3, timeout: .seconds(10)))
        // Like `head`: the reader is gone; the backlog already went into the pipe, so it is the
        // next event that finds the pipe closed.
        #expect(await follower.waitForOutputClosed(timeout: .seconds(5)))
        let appended = ContinuousClock.now
        try cli.ok(["users", "create", "--username", "late"])
        let exit = await follower.waitForExit(timeout: .seconds(5))
        #expect(exit == .init(status: 0, signaled: false), "\(String(describing: exit)) \(follower.stderr)")
        let took = ContinuousClock.now - appended
        #expect(took < .seconds(5), "ended \(took) after the append began")
        #expect(follower.lines.count == 3)
        print("audit follow | head -n 3: ended \(took) after the next append began (the CLI append itself included)")
    }

    /// A follower started with SIGINT and SIGTERM blocked (inherited from its parent thread, as
    /// from a dispatch worker thread or a supervisor that blocks them) still stops on SIGTERM:
    /// `audit follow` unblocks them before it waits.
    @Test func followStopsOnSIGTERMEvenWhenStartedWithSignalsBlocked() async throws {
        let cli = try LedgerCLI.make()
        defer { cli.drop() }
        let follower = try FollowProcess.start(cli, ["audit", "follow"], blocking: [SIGINT, SIGTERM])
        defer { follower.kill() }
        try await Task.sleep(for: .milliseconds(500))
        follower.send(SIGTERM)
        let exit = await follower.waitForExit(timeout: .seconds(3))
        #expect(
            exit == .init(status: 0, signaled: false),
            "\(String(describing: exit)), blocked at start: \(follower.blockedSignals ?? "?")")
    }

    // MARK: 8. The restart queue

    /// `pending -o json`: a user removed from a running workspace is listed with their live role
    /// and since when; a later removal on another workspace comes after it (oldest first); a
    /// restart takes the workspace out; `--at-position` before the restart still shows it.
    @Test func pendingListsTheRestartQueueOldestFirst() throws {
        let cli = try LedgerCLI.make()
        defer { cli.drop() }
        try cli.createUsers(["oncall-sre", "bob", "carol"])
        try cli.ok(["create", "oncall-sre/ws-a", "--template", "oncall"], as: "oncall-sre")
        try cli.ok(["create", "oncall-sre/ws-b", "--template", "oncall"], as: "oncall-sre")
        try cli.ok(["sharing", "share", "oncall-sre/ws-a", "--user", "bob:admin"])
        try cli.ok(["sharing", "share", "oncall-sre/ws-b", "--user", "carol"])
        #expect(try cli.json(["pending"]) == [])
        #expect(try cli.ok(["pending"]).contains("no workspace needs a restart"))

        try cli.ok(["sharing", "remove", "oncall-sre/ws-a", "--user", "bob"])
        let removal = try #require(try cli.events().last)
        #expect(removal["type"] == "workspace_unshared")
        let bobSince = try #require(removal["position"]?.intValue)
        let queue = try cli.json(["pending"])
        #expect(queue.arrayValue?.count == 1)
        let entry = try #require(queue.arrayValue?.first)
        #expect(entry.objectValue?.keys.sorted() == ["oldest", "users", "workspace"])
        #expect(entry["workspace"] == "oncall-sre/ws-a")
        let user = try #require(entry["users"]?.arrayValue?.first)
        #expect(user.objectValue?.keys.sorted() == ["live_role", "since", "username"])
        #expect(user["username"] == "bob")
        #expect(user["live_role"] == "admin")
        #expect(user["since"]?["position"]?.intValue == bobSince)
        #expect(user["since"]?["time"] == removal["time"])
        #expect(entry["oldest"] == user["since"])

        try cli.ok(["sharing", "remove", "oncall-sre/ws-b", "--user", "carol"])
        let carolSince = try cli.eventCount()
        let both = try cli.json(["pending"])
        #expect(both.arrayValue?.compactMap { $0["workspace"]?.stringValue } == ["oncall-sre/ws-a", "oncall-sre/ws-b"])
        #expect(both.arrayValue?.last?["users"]?.arrayValue?.first?["live_role"] == "use")
        #expect(both.arrayValue?.last?["oldest"]?["position"]?.intValue == carolSince)
        let table = try cli.ok(["pending"])
        #expect(table.contains("oncall-sre/ws-a") && table.contains("bob") && table.contains("admin"), "\(table)")

        try cli.ok(["restart", "oncall-sre/ws-a"])
        let afterRestart = try cli.json(["pending"])
        #expect(afterRestart.arrayValue?.compactMap { $0["workspace"]?.stringValue } == ["oncall-sre/ws-b"])
        #expect(try cli.json(["pending", "--at-position", String(carolSince)]) == both)
        #expect(try cli.json(["pending", "--at-position", String(bobSince - 1)]) == [])

        // Restarting the other empties the queue.
        try cli.ok(["restart", "oncall-sre/ws-b"])
        #expect(try cli.json(["pending"]) == [])
    }

    // MARK: 9. Refused input

    /// Bad webhooks and a bad `--after`: each a clear error naming the value, with the SPEC's
    /// exit code, and nothing appended.
    @Test func badInputIsRefusedAndAppendsNothing() throws {
        let cli = try LedgerCLI.make()
        defer { cli.drop() }
        let added = try cli.ok(["webhooks", "add", "first", "--url", "http://127.0.0.1:9/hook"])
        #expect(added.split(separator: "\n").last?.hasPrefix("whsec_") == true, "\(added)")
        let head = try cli.eventCount()

        let cases: [(arguments: [String], status: Int32, names: String)] = [
            (["webhooks", "add", "x", "--url", "ftp://h"], 2, "ftp://h"),
            (["webhooks", "add", "x", "--url", "notaurl"], 2, "notaurl"),
            (
                ["webhooks", "add", "x", "--url", "http://127.0.0.1:9/", "--types", "user_created,bogus_type"], 2,
                "bogus_type"
            ),
            (["webhooks", "add", "first", "--url", "http://127.0.0.1:9/other"], 3, "first"),
            (["webhooks", "remove", "nosuch"], 2, "nosuch"),
            (["audit", "follow", "--after=-1"], 2, "-1"),
            (["audit", "follow", "--after", "x"], 2, "x"),
            (["pending", "--at-position", "x"], 2, "x"),
        ]
        for item in cases {
            let result = try cli.run(item.arguments)
            #expect(result.status == item.status, "\(item.arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.hasPrefix("error: "), "\(item.arguments): \(result.stderr)")
            #expect(result.stderr.contains(item.names), "\(item.arguments): \(result.stderr)")
            #expect(!result.stdout.contains("whsec_"), "\(item.arguments): \(result.stdout)")
        }
        // `--after -1` is taken by the argument parser as a missing value: still exit 2.
        let negative = try cli.run(["audit", "follow", "--after", "-1"])
        #expect(negative.status == 2, "\(negative.stderr)")
        #expect(negative.stderr.contains("--after"), "\(negative.stderr)")
        // A member may not add webhooks.
        try cli.createUsers(["mem"])
        let memberAdd = try cli.run(["webhooks", "add", "mine", "--url", "http://127.0.0.1:9/"], as: "mem")
        #expect(memberAdd.status == 3, "\(memberAdd.stderr)")
        #expect(try cli.eventCount() == head + 1, "a refused command appended")

        let list = try cli.json(["webhooks", "list"])
        #expect(list.arrayValue?.compactMap { $0["name"]?.stringValue } == ["first"])
        #expect(list.arrayValue?.first?["url"] == "http://127.0.0.1:9/hook")
        #expect(list.arrayValue?.first?["types"] == [])
        try cli.ok(["webhooks", "remove", "first"])
        #expect(try cli.json(["webhooks", "list"]) == [])
        #expect(try cli.ok(["webhooks", "list"]).contains("no webhooks"))
    }
}

/// A running `accessledger audit follow`, its stdout read line by line on a thread of its own.
/// With `closeOutputAfterLines`, the reader closes its end of the pipe after that many lines,
/// as `head -n N` does.
final class FollowProcess: Sendable {
    struct Exit: Equatable {
        var status: Int32
        var signaled: Bool
    }

    private let process: Mutex<Process>
    private let pid: Int32
    private let state = Mutex<(lines: [String], partial: [UInt8], closed: Bool, stderr: [UInt8])>(([], [], false, []))

    private init(process: Process) {
        self.pid = process.processIdentifier
        self.process = Mutex(process)
    }

    var lines: [String] { state.withLock { $0.lines } }
    var stderr: String { String(decoding: state.withLock { $0.stderr }, as: UTF8.self) }

    /// Starts `accessledger ARGUMENTS` against `cli`'s database. The test runs on threads that
    /// block most signals, and a child inherits its parent thread's signal mask: the child is
    /// started from a thread of its own whose mask blocks exactly `blocking` (by default nothing,
    /// as a shell starts it).
    static func start(
        _ cli: LedgerCLI, _ arguments: [String], closeOutputAfterLines: Int? = nil, blocking: [Int32] = []
    ) throws -> FollowProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: accessledgerBinary())
        process.arguments = arguments
        var environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "ACCESSLEDGER_DATABASE_URL": cli.db.conninfo, "ACCESSLEDGER_ACTOR": "admin",
        ]
        if let home = ProcessInfo.processInfo.environment["HOME"] { environment["HOME"] = home }
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try spawn(process, blocking: blocking)
        let follower = FollowProcess(process: process)
        let outFD = out.fileHandleForReading.fileDescriptor
        let errFD = err.fileHandleForReading.fileDescriptor
        // Keep the handles alive in the threads; read with read(2) so the reader can close.
        Thread { [out] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(outFD, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                let enough = follower.state.withLock { state -> Bool in
                    state.partial += buffer[0..<count]
                    while let newline = state.partial.firstIndex(of: UInt8(ascii: "\n")) {
                        state.lines.append(String(decoding: state.partial[..<newline], as: UTF8.self))
                        state.partial.removeSubrange(...newline)
                    }
                    if let limit = closeOutputAfterLines, state.lines.count >= limit {
                        state.lines = Array(state.lines.prefix(limit))
                        return true
                    }
                    return false
                }
                if enough { break }
            }
            if closeOutputAfterLines != nil { try? out.fileHandleForReading.close() }
            follower.state.withLock { $0.closed = true }
        }.start()
        Thread { [err] in
            var buffer = [UInt8](repeating: 0, count: 16_384)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(errFD, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                follower.state.withLock { $0.stderr += buffer[0..<count] }
            }
            _ = err
        }.start()
        return follower
    }

    /// Runs `process.run()` on a new thread whose signal mask blocks exactly `blocking`.
    private static func spawn(_ process: Process, blocking: [Int32]) throws {
        final class Box: @unchecked Sendable {
            let process: Process
            let outcome = Mutex<(done: Bool, error: (any Error)?)>((false, nil))
            init(_ process: Process) { self.process = process }
        }
        let box = Box(process)
        Thread {
            var mask = sigset_t()
            sigemptyset(&mask)
            for signal in blocking { sigaddset(&mask, signal) }
            pthread_sigmask(SIG_SETMASK, &mask, nil)
            do {
                try box.process.run()
                box.outcome.withLock { $0.done = true }
            } catch {
                box.outcome.withLock { $0 = (true, error) }
            }
        }.start()
        let deadline = ContinuousClock.now + .seconds(10)
        while !box.outcome.withLock({ $0.done }) {
            guard ContinuousClock.now < deadline else { throw TestSetupError("could not start \(process)") }
            usleep(1_000)
        }
        if let error = box.outcome.withLock({ $0.error }) { throw error }
    }

    /// The signal mask of the running child, from /proc (SigBlk, hex).
    var blockedSignals: String? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        return status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") }.map {
            $0.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces)
        }
    }

    /// Waits until at least `count` lines were read; returns whether they were.
    func waitForLines(_ count: Int, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while lines.count < count {
            if ContinuousClock.now > deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// Waits until the reader has closed its end (or read the end of the output).
    func waitForOutputClosed(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !state.withLock({ $0.closed }) {
            if ContinuousClock.now > deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    func send(_ signal: Int32) {
        if process.withLock({ $0.isRunning }) { _ = Foundation.kill(pid, signal) }
    }

    func waitForExit(timeout: Duration) async -> Exit? {
        let deadline = ContinuousClock.now + timeout
        while process.withLock({ $0.isRunning }) {
            if ContinuousClock.now > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.withLock {
            Exit(status: $0.terminationStatus, signaled: $0.terminationReason == .uncaughtSignal)
        }
    }

    /// SIGKILL unless it already ended, then reap it: for `defer`.
    func kill() {
        let running = process.withLock { $0.isRunning }
        if running { _ = Foundation.kill(pid, SIGKILL) }
        let deadline = ContinuousClock.now + .seconds(5)
        while process.withLock({ $0.isRunning }) && ContinuousClock.now < deadline { usleep(10_000) }
    }
}
