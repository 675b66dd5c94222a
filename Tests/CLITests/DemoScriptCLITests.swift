import Foundation
import TestSupport
import Testing

/// `tools/demo` on a fresh embedded database, twice: a newcomer's first run and a second one.
@Suite("CLI: tools/demo")
struct DemoScriptCLITests {
    @Test func theDemoRunsTwiceOnTheEmbeddedDatabase() throws {
        let home = "/tmp/al-demo-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        chmod(home, 0o755)
        let env = ["ACCESSLEDGER_HOME": home, "ACCESSLEDGER_BIN": accessledgerBinary()]
        defer {
            _ = try? runCLI(["local", "stop"], environment: env)
            try? FileManager.default.removeItem(atPath: home)
        }
        let first = try runProcess("/bin/bash", [repositoryRoot + "/tools/demo"], environment: env)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("$ accessledger users create --username demo-admin"))
        #expect(first.stdout.contains("$ accessledger sharing status oncall-sre/oncall-workspace"))
        #expect(first.stdout.contains("\"state\": \"pending_revocation\""))
        #expect(first.stdout.contains("$ accessledger list --search shared_with_group:sre-oncall"))
        #expect(first.stdout.hasSuffix("ok: 18 events, hash chain intact\nhead: 18:" + lastHash(first.stdout) + "\n\n"))

        let second = try runProcess("/bin/bash", [repositoryRoot + "/tools/demo"], environment: env)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(!second.stdout.contains("--username demo-admin"))
        #expect(second.stdout.contains("$ accessledger create oncall-sre-2/oncall-workspace"))
        #expect(second.stdout.contains("ok: 28 events, hash chain intact"))
    }

    func lastHash(_ output: String) -> String {
        output.split(separator: "\n").last { $0.hasPrefix("head: ") }.map { String($0.split(separator: ":")[2]) } ?? ""
    }
}
