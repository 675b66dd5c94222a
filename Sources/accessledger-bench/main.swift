import Foundation

// accessledger-bench: where the ledger stands against PostgreSQL itself and against Coder's way
// of storing sharing. Run it through tools/bench, which builds it and starts a throwaway cluster.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "child" {
    exit(ChildProcess.main(Array(arguments.dropFirst())))
}
if arguments.contains("--help") || arguments.contains("-h") {
    print(BenchOptions.usage)
    exit(0)
}
do {
    let options = try BenchOptions(arguments: arguments, environment: ProcessInfo.processInfo.environment)
    try Benchmark(options: options).run()
} catch {
    StandardStream.error.write("error: \(error)\n")
    exit(1)
}
