import AsyncHTTPClient
import Foundation
import Synchronization

/// Runs `body` on the concurrency pool and blocks the calling (non-pool) thread until it is done:
/// the harness is synchronous, its HTTP client is not.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        let outcome: Result<T, any Error>
        do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
        box.result.withLock { $0 = outcome }
        done.signal()
    }
    done.wait()
    guard let outcome = box.result.withLock({ $0 }) else { throw BenchError("runBlocking: no result") }
    return try outcome.get()
}

/// Where ``runBlocking(_:)`` hands the result over.
private final class ResultBox<T: Sendable>: Sendable {
    let result = Mutex<Result<T, any Error>?>(nil)
}

/// Concurrent request loops over keep-alive connections of one ``HTTPClient`` against the
/// service on loopback.
struct HTTPLoad: Sendable {
    /// One request: method, path (with query), JSON body.
    struct Call: Sendable {
        var method: Method
        var path: String
        var body: String?

        enum Method: Sendable {
            case get
            case patch
        }
    }

    /// A finished round.
    struct Round: Sendable {
        /// Wall seconds from the common start to the last answer.
        var seconds: Double
        /// Latency of every request, in milliseconds.
        var latencies: [Double]
        /// The answers' bodies of the requests `inspect` asked to keep (by index).
        var kept: [Int: String]
        /// Per loop: the step it reached (where its next round continues).
        var steps: [Int]

        var rate: Double { seconds > 0 ? Double(latencies.count) / seconds : 0 }
    }

    let client: HTTPClient
    let baseURL: String
    let authorization: String

    /// A client whose pool keeps `connections` HTTP/1.1 connections to the one host.
    static func makeClient(connections: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connections
        configuration.redirectConfiguration = .disallow
        return HTTPClient(configuration: configuration)
    }

    /// `loops` concurrent loops send requests until `count` were sent in all or `maxSeconds`
    /// passed. Loop `l` at its step `s` (counted from `startSteps[l]`, one per request it sends)
    /// sends `call(index, l, s)`, where `index` numbers the requests of this round. Every answer
    /// must be 200; the bodies of the first `keep` requests are kept.
    /// - Throws: ``BenchError`` naming the request and the answer when one is not 200.
    func round(
        loops: Int, count: Int, maxSeconds: Double, keep: Int = 0, startSteps: [Int]? = nil,
        call: @escaping @Sendable (_ index: Int, _ loop: Int, _ step: Int) -> Call
    ) async throws -> Round {
        let next = Counter()
        let start = MonotonicClock.now()
        let steps = startSteps ?? Array(repeating: 0, count: loops)
        let perLoop = try await withThrowingTaskGroup(
            of: (loop: Int, latencies: [Double], kept: [Int: String], step: Int).self
        ) { group in
            for loop in 0..<loops {
                let firstStep = steps[loop]
                group.addTask {
                    var latencies: [Double] = []
                    var kept: [Int: String] = [:]
                    var step = firstStep
                    while MonotonicClock.now() - start < maxSeconds {
                        let index = next.take()
                        guard index < count else { break }
                        let request = call(index, loop, step)
                        step += 1
                        let before = MonotonicClock.now()
                        let (status, body) = try await send(request)
                        latencies.append((MonotonicClock.now() - before) * 1_000)
                        guard status == 200 else {
                            throw BenchError(
                                "\(request.method == .get ? "GET" : "PATCH") \(request.path) answered \(status): "
                                    + String(body.prefix(300)))
                        }
                        if index < keep { kept[index] = body }
                    }
                    return (loop, latencies, kept, step)
                }
            }
            var all: [(loop: Int, latencies: [Double], kept: [Int: String], step: Int)] = []
            for try await result in group { all.append(result) }
            return all
        }
        let seconds = MonotonicClock.now() - start
        var finalSteps = steps
        var kept: [Int: String] = [:]
        for result in perLoop {
            finalSteps[result.loop] = result.step
            kept.merge(result.kept) { first, _ in first }
        }
        return Round(seconds: seconds, latencies: perLoop.flatMap(\.latencies), kept: kept, steps: finalSteps)
    }

    /// Sends one request and reads the whole answer.
    func send(_ call: Call) async throws -> (status: UInt, body: String) {
        var request = HTTPClientRequest(url: baseURL + call.path)
        request.headers.add(name: "Authorization", value: authorization)
        switch call.method {
        case .get:
            request.method = .GET
        case .patch:
            request.method = .PATCH
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(Array((call.body ?? "{}").utf8))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        return (response.status.code, String(decoding: buffer.readableBytesView, as: UTF8.self))
    }
}

/// A shared counter the loops take request numbers from.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)

    /// The next number, from 0.
    func take() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
}
