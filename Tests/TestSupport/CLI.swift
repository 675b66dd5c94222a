import Foundation
import Synchronization

/// What a run of the `accessledger` binary did.
public struct CLIResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs the built `accessledger` binary (`ACCESSLEDGER_BIN`, set by tools/test, else next to the
/// test bundle) with `arguments`, `stdin` as its standard input (none by default), and
/// `environment` added to a clean environment.
public func runCLI(_ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil) throws -> CLIResult {
    try runProcess(accessledgerBinary(), arguments, environment: environment, stdin: stdin)
}

/// Runs any program, collecting stdout and stderr; `stdin` is written to its standard input.
public func runProcess(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil
) throws -> CLIResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
    if let home = ProcessInfo.processInfo.environment["HOME"] { env["HOME"] = home }
    env.merge(environment) { _, new in new }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = stdin.map { _ in Pipe() }
    process.standardInput = input ?? FileHandle.nullDevice
    try process.run()
    if let input, let stdin {
        // A process that exits before reading everything must not kill this one with SIGPIPE:
        // the write fails with EPIPE instead.
        signal(SIGPIPE, SIG_IGN)
        // Written from a thread of its own, so a process that answers before reading it all
        // cannot block this one on a full pipe.
        let writer = Thread {
            try? input.fileHandleForWriting.write(contentsOf: stdin)
            try? input.fileHandleForWriting.close()
        }
        writer.start()
    }
    // Read both pipes concurrently so a chatty process cannot block on a full pipe.
    let errData = LockedData()
    let reader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
    reader.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errData.isSet { usleep(1_000) }
    return CLIResult(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData.get(), as: UTF8.self))
}

/// The path of the binary under test.
public func accessledgerBinary() -> String {
    if let path = ProcessInfo.processInfo.environment["ACCESSLEDGER_BIN"], !path.isEmpty { return path }
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    return bundle.appendingPathComponent("accessledger").path
}

/// The repository's root directory (for tools/ scripts).
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

private final class LockedData: Sendable {
    private let data = Mutex<Data?>(nil)
    func set(_ value: Data) { data.withLock { $0 = value } }
    var isSet: Bool { data.withLock { $0 != nil } }
    func get() -> Data { data.withLock { $0 ?? Data() } }
}
