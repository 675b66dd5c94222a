import AccessModel
import Foundation
import Synchronization
import TestSupport
import Testing

/// Several processes at once on the same ledger: commands never interleave, never lose an
/// update, and the chain stays gap-free.
@Suite("CLI: concurrent processes")
struct ConcurrentCLITests {
    @Test func sixProcessesSharingTheSameWorkspaceAllLand() throws {
        let cli = try LedgerCLI.make()
        defer { cli.drop() }
        let workspace = "oncall-sre/oncall-workspace"
        let users = (1...6).map { "user\($0)" }
        try cli.createUsers(["oncall-sre"] + users)
        try cli.ok(["create", workspace, "--template", "oncall"])
        let before = try cli.eventCount()

        let failures = onThreads(users.count) { index in
            let result = try cli.run([
                "sharing", "share", workspace, "--user", users[index], "--reason", "INC-\(index)",
            ])
            guard result.status == 0 else {
                throw TestSetupError("\(users[index]): exit \(result.status) \(result.stderr)")
            }
        }
        #expect(failures.isEmpty, "\(failures)")

        let status = try cli.status(workspace)
        #expect(status["acl"]?["users"]?.arrayValue?.compactMap { $0["username"]?.stringValue } == users)
        #expect(status["access"]?.arrayValue?.count == 6)
        #expect(try cli.eventCount() == before + 6)
        let events = try cli.events()
        #expect(events.compactMap { $0["position"]?.intValue } == Array(1...(before + 6)))
        let reasons = Set(events.suffix(6).compactMap { $0["reason"]?.stringValue })
        #expect(reasons == Set((0..<6).map { "INC-\($0)" }))
        let verify = try cli.run(["verify"])
        #expect(verify.status == 0 && verify.stdout.hasPrefix("ok: \(before + 6) events"))
    }

    @Test func racingToCreateTheSameNameLetsExactlyOneWin() throws {
        let cli = try LedgerCLI.make()
        defer { cli.drop() }
        let statuses = StatusList()
        let failures = onThreads(5) { _ in
            statuses.append(try cli.run(["users", "create", "--username", "alice"]).status)
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(statuses.sorted == [0, 3, 3, 3, 3])
        #expect(try cli.eventCount() == 2)
    }

    @Test func concurrentSharesAndRemovalsOnOneWorkspaceStayConsistent() throws {
        let cli = try LedgerCLI.make()
        defer { cli.drop() }
        let workspace = "admin/shared"
        let users = (1...4).map { "u\($0)" }
        try cli.createUsers(users)
        try cli.ok(["create", workspace, "--template", "t"])
        try cli.ok(["sharing", "share", workspace, "--user", users.joined(separator: ",")])
        // Each process removes one user and shares another (u1 → v1, …) in separate commands.
        try cli.createUsers(users.map { "v" + $0.dropFirst() })
        let failures = onThreads(users.count) { index in
            for arguments in [
                ["sharing", "remove", workspace, "--user", users[index]],
                ["sharing", "share", workspace, "--user", "v\(index + 1):admin"],
            ] {
                let result = try cli.run(arguments)
                guard result.status == 0 else { throw TestSetupError("\(arguments): \(result.stderr)") }
            }
        }
        #expect(failures.isEmpty, "\(failures)")
        let status = try cli.status(workspace)
        #expect(
            status["acl"]?["users"]?.arrayValue?.compactMap { $0["username"]?.stringValue } == ["v1", "v2", "v3", "v4"])
        let pending = status["access"]?.arrayValue?.filter { $0["state"] == "pending_revocation" }
            .compactMap { $0["username"]?.stringValue }
        #expect(pending == users)
        #expect(try cli.json(["verify"])["ok"] == true)
    }
}

/// Exit statuses collected from several threads.
final class StatusList: Sendable {
    private let list = Mutex<[Int32]>([])
    func append(_ status: Int32) { list.withLock { $0.append(status) } }
    var sorted: [Int32] { list.withLock { $0.sorted() } }
}
