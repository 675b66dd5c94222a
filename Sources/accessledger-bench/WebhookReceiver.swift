import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A minimal HTTP/1.1 server on 127.0.0.1 (an ephemeral port) inside the harness, the webhook
/// receiver of `notify_latency`: it answers every request `200` with an empty body (keep-alive)
/// and notes, by `X-AccessLedger-Position`, the monotonic time each request had been read in
/// full. Blocking sockets, a thread for accepting and one per connection; every loop polls at
/// most 100 ms at a time, so ``stop()`` ends them all promptly.
final class WebhookReceiver: Sendable {
    let port: Int
    private let listener: Int32
    private struct State {
        var arrivals: [Int64: Double] = [:]
        var requests = 0
        var stopped = false
        var threads = 0
    }
    private let state = Mutex(State())

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw BenchError("webhook receiver: socket failed: errno \(errno)") }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr = in_addr(s_addr: inet_addr("127.0.0.1"))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard bound == 0, named == 0, listen(descriptor, 64) == 0 else {
            let problem = errno
            close(descriptor)
            throw BenchError("webhook receiver: cannot listen on 127.0.0.1: errno \(problem)")
        }
        listener = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
        state.withLock { $0.threads += 1 }
        let thread = Thread { [self] in self.acceptLoop() }
        thread.name = "bench-webhook-accept"
        thread.start()
    }

    deinit { stop() }

    var url: String { "http://127.0.0.1:\(port)/" }

    /// When the POST of the event at `position` had arrived (``MonotonicClock``), if it has.
    func arrival(of position: Int64) -> Double? { state.withLock { $0.arrivals[position] } }

    /// Requests answered so far.
    var requests: Int { state.withLock { $0.requests } }

    /// Stops accepting and closes every connection; waits (at most 2 s) for the threads.
    func stop() {
        let first = state.withLock { state -> Bool in
            defer { state.stopped = true }
            return !state.stopped
        }
        guard first else { return }
        let deadline = MonotonicClock.now() + 2
        while state.withLock({ $0.threads }) > 0 && MonotonicClock.now() < deadline { usleep(5_000) }
    }

    private var stopped: Bool { state.withLock { $0.stopped } }

    private func acceptLoop() {
        defer {
            close(listener)
            state.withLock { $0.threads -= 1 }
        }
        while !stopped {
            var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 100) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            var yes: Int32 = 1
            setsockopt(connection, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            state.withLock { $0.threads += 1 }
            let thread = Thread { [self] in self.serve(connection) }
            thread.name = "bench-webhook-connection"
            thread.start()
        }
    }

    /// Reads requests off one keep-alive connection until the peer closes it or ``stop()``.
    private func serve(_ connection: Int32) {
        defer {
            close(connection)
            state.withLock { $0.threads -= 1 }
        }
        let separator = Array("\r\n\r\n".utf8)
        let answer = Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8)
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !stopped {
            var descriptor = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 100)
            if ready < 0 && errno != EINTR { return }
            guard ready > 0 else { continue }
            let count = read(connection, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }
            pending += buffer[0..<count]
            // Every complete request in what has arrived.
            while let headerEnd = WebhookReceiver.find(separator, in: pending) {
                let head = String(decoding: pending[..<headerEnd], as: UTF8.self)
                var contentLength = 0
                var position: Int64?
                for line in head.split(separator: "\r\n").dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    let name = line[..<colon].lowercased()
                    let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    if name == "content-length" { contentLength = Int(value) ?? 0 }
                    if name == "x-accessledger-position" { position = Int64(value) }
                }
                let end = headerEnd + separator.count + contentLength
                guard pending.count >= end else { break }
                let now = MonotonicClock.now()
                pending.removeFirst(end)
                state.withLock { state in
                    state.requests += 1
                    if let position, state.arrivals[position] == nil { state.arrivals[position] = now }
                }
                var offset = 0
                while offset < answer.count {
                    let written = answer.withUnsafeBytes { bytes in
                        bytes.baseAddress.map {
                            send(connection, $0 + offset, answer.count - offset, Int32(MSG_NOSIGNAL))
                        } ?? -1
                    }
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { return }
                    offset += written
                }
            }
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
        }
        return nil
    }
}
