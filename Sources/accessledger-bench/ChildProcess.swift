import AccessModel
import Foundation
import LedgerStore
import PostgresClient

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs this executable again with a `child` subcommand, so that the peak resident memory of
/// one job (replay, verify, a raw read) is measured alone.
///
/// The child times the job itself and reports the seconds and its own `VmHWM` (from
/// `/proc/self/status`) through a file: `wait4`'s
/// `ru_maxrss` would not do, because `posix_spawn` borrows the parent's address space until the
/// `exec`, and Linux keeps that address space's high-water mark in the child's figure.
enum ChildProcess {
    /// The jobs a child can run, on the database named by its connection string.
    enum Job: String, CaseIterable {
        case rawRead = "raw-read"
        case replay
        case verify
        /// `sharing share svc/everyone --group Everyone` as `admin` (``EveryoneBench``).
        case shareEveryone = "share-everyone"
        /// `sharing unshare svc/everyone --group Everyone` as `admin`.
        case unshareEveryone = "unshare-everyone"
    }

    /// What a child reports.
    struct Outcome {
        /// Seconds the job took (connecting and process start excluded).
        var seconds: Double
        /// Peak resident set size of the child process, in MiB.
        var peakMiB: Double
        /// `replay`: seconds per stage (``ReplayReport/stages``), in order.
        var stages: [(name: String, seconds: Double)] = []
    }

    /// Runs `job` in a child process.
    /// - Throws: ``BenchError`` when the child cannot start or fails.
    static func run(_ job: Job, conninfo: String) throws -> Outcome {
        let executable = "/proc/self/exe"
        var template = Array("/tmp/accessledger-bench-rss.XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { mkstemp($0) } ?? -1
        }
        guard descriptor >= 0 else { throw BenchError("cannot create a temporary file: errno \(errno)") }
        close(descriptor)
        let resultPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(resultPath) }
        let arguments = [executable, "child", job.rawValue, conninfo, resultPath]
        var pointers: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, nil, nil, pointers, environ)
        guard spawned == 0 else { throw BenchError("cannot start a child process: error \(spawned)") }
        var status: Int32 = 0
        guard waitpid(pid, &status, 0) == pid else { throw BenchError("waitpid failed: errno \(errno)") }
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            throw BenchError("child \(job.rawValue) failed (status \(status))")
        }
        // First line: "PEAK-KIB SECONDS"; then one "SECONDS STAGE NAME" line per replay stage.
        let lines = (readFile(resultPath) ?? "").split(separator: "\n")
        let fields = (lines.first ?? "").split(separator: " ").compactMap { Double($0) }
        guard fields.count == 2 else { throw BenchError("child \(job.rawValue) reported nothing") }
        let stages = lines.dropFirst().compactMap { line -> (String, Double)? in
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let seconds = Double(parts[0]) else { return nil }
            return (String(parts[1]), seconds)
        }
        return Outcome(seconds: fields[1], peakMiB: fields[0] / 1024, stages: stages)
    }

    /// The child's side: `child JOB CONNINFO RESULT-FILE`. Returns the exit code.
    static func main(_ arguments: [String]) -> Int32 {
        guard arguments.count == 3, let job = Job(rawValue: arguments[0]) else {
            StandardStream.error.write("usage: accessledger-bench child JOB CONNINFO RESULT-FILE (JOB: raw-read, replay, verify, share-everyone, unshare-everyone)\n")
            return 2
        }
        do {
            let connection = try Connection(arguments[1], applicationName: "accessledger-bench-child")
            var stages: [(name: String, seconds: Double)] = []
            let (_, seconds) = try MonotonicClock.time {
                switch job {
                case .rawRead:
                    _ = try LogBench.rawOrderedRead(connection)
                case .replay:
                    let conninfo = arguments[1]
                    stages = try Replay { try Connection(conninfo, applicationName: "accessledger-bench-child") }.run()
                        .stages
                case .verify:
                    let result = try EventStore(connection: connection).verify()
                    guard result.ok else { throw BenchError("verify failed: \(result.problem ?? "?")") }
                case .shareEveryone, .unshareEveryone:
                    try LedgerDatabase.prepare(connection)
                    let command: Command =
                        job == .shareEveryone
                        ? .share(workspace: EveryoneBench.workspace, users: [], groups: ["Everyone:use"])
                        : .unshare(workspace: EveryoneBench.workspace, users: [], groups: ["Everyone"])
                    let outcome = try Ledger(connection: connection).execute(command, actor: "admin")
                    guard !outcome.isNoOp else { throw BenchError("\(job.rawValue) changed nothing") }
                }
            }
            guard let peak = peakResidentKiB() else { throw BenchError("no VmHWM in /proc/self/status") }
            let report = (["\(peak) \(seconds)"] + stages.map { "\($0.seconds) \($0.name)" }).joined(separator: "\n")
            guard writeFile(arguments[2], report) else {
                throw BenchError("cannot write \(arguments[2])")
            }
            return 0
        } catch {
            StandardStream.error.write("error: child \(job.rawValue): \(error)\n")
            return 1
        }
    }

    /// This process's peak resident set size (`VmHWM`) in KiB.
    static func peakResidentKiB() -> Int? {
        guard let status = readFile("/proc/self/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.dropFirst(6).split(whereSeparator: \.isWhitespace).first ?? "")
        }
        return nil
    }

    static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func writeFile(_ path: String, _ text: String) -> Bool {
        guard let file = fopen(path, "w") else { return false }
        defer { fclose(file) }
        return fputs(text, file) >= 0
    }
}
