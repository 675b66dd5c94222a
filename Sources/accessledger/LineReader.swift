import AccessModel
import LedgerStore

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a file, or stdin for `-`, one line at a time in constant memory: a chunk at a time, never
/// the whole input. Lines end with `\n`; a last line without one counts too.
///
/// `@unchecked Sendable`: it is opened on the main thread (so a missing file is reported before
/// anything else) and then handed to ``ImportFeed``'s reading thread, the only one that uses it
/// afterwards; it is never used by two threads at once.
final class LineReader: @unchecked Sendable {
    /// A longer line is refused rather than held in memory (an import line is a few hundred bytes).
    static let maxLineLength = 1 << 20

    /// What the messages call the input: the path, or `stdin`.
    let name: String
    /// The number of the line ``next()`` returned last (from 1).
    private(set) var lineNumber = 0
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private var chunk = [UInt8](repeating: 0, count: 1 << 16)
    private var start = 0
    private var end = 0
    private var atEnd = false

    /// Opens `path` (`-` for stdin).
    /// - Throws: ``LedgerError/invalidInput(_:)`` when it cannot be opened (exit 2).
    init(path: String) throws {
        if path == "-" {
            name = "stdin"
            descriptor = 0
            ownsDescriptor = false
            return
        }
        name = DisplayText.quoted(path)
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else {
            throw LedgerError.invalidInput("cannot read \(name): \(String(cString: strerror(errno)))")
        }
        descriptor = opened
        ownsDescriptor = true
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// The next line without its `\n`, or `nil` at the end of the input.
    /// - Throws: ``LedgerError/invalidInput(_:)`` for a read error or a line over
    ///   ``maxLineLength`` bytes.
    func next() throws -> [UInt8]? {
        var line: [UInt8] = []
        while true {
            if let newline = chunk[start..<end].firstIndex(of: UInt8(ascii: "\n")) {
                line += chunk[start..<newline]
                start = newline + 1
                return try counted(line)
            }
            line += chunk[start..<end]
            start = end
            if line.count > LineReader.maxLineLength {
                throw LedgerError.invalidInput(
                    "line \(lineNumber + 1) of \(name) is longer than \(LineReader.maxLineLength) bytes")
            }
            if atEnd { return line.isEmpty ? nil : try counted(line) }
            try fill()
        }
    }

    private func counted(_ line: [UInt8]) throws -> [UInt8] {
        lineNumber += 1
        guard line.count <= LineReader.maxLineLength else {
            throw LedgerError.invalidInput(
                "line \(lineNumber) of \(name) is longer than \(LineReader.maxLineLength) bytes")
        }
        return line
    }

    /// Reads the next chunk (retrying when interrupted); at the end of the input sets `atEnd`.
    private func fill() throws {
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                throw LedgerError.invalidInput("cannot read \(name): \(String(cString: strerror(errno)))")
            }
            start = 0
            end = count
            atEnd = count == 0
            return
        }
    }
}
