import Foundation
import LedgerStore

#if canImport(Glibc)
    import Glibc
#endif

/// A document written to stdout only once it is whole: a command that fails halfway prints its
/// error and nothing else, never half a JSON array that a script would take for an answer.
///
/// The text is kept in memory up to ``memoryLimit`` bytes, then in an unlinked temporary file,
/// so a long `audit log -o json` needs no more memory than a short one.
struct DocumentOutput {
    static let memoryLimit = 4 << 20

    private var buffer: [UInt8] = []
    private var spill: Int32 = -1

    init() { buffer.reserveCapacity(64 << 10) }

    /// Adds `text` to the document.
    /// - Throws: ``LedgerError/internal(_:)`` when the temporary file cannot be written.
    mutating func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= DocumentOutput.memoryLimit { try flushToSpill() }
    }

    private mutating func flushToSpill() throws {
        if spill < 0 {
            var template = Array((NSTemporaryDirectory() + "/accessledger-output.XXXXXX").utf8CString)
            spill = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemp($0) } ?? -1 }
            guard spill >= 0 else { throw LedgerError.internal("cannot create a temporary file: errno \(errno)") }
            // Unlinked at once: the file lives only as long as this descriptor.
            template.withUnsafeBufferPointer { buffer in _ = buffer.baseAddress.map { unlink($0) } }
        }
        try DocumentOutput.writeAll(buffer, to: spill)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes the whole document to stdout and releases the temporary file.
    mutating func commit() throws {
        defer { discard() }
        if spill >= 0 {
            try flushToSpill()
            guard lseek(spill, 0, SEEK_SET) == 0 else { throw LedgerError.internal("cannot rewind the output") }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(spill, $0.baseAddress, $0.count) }
                guard count > 0 else { break }
                try DocumentOutput.writeAll(chunk[0..<count], to: 1)
            }
        } else {
            try DocumentOutput.writeAll(buffer, to: 1)
        }
    }

    /// Drops the document (on failure).
    mutating func discard() {
        if spill >= 0 { close(spill) }
        spill = -1
        buffer.removeAll()
    }

    private static func writeAll<C: Collection<UInt8>>(_ bytes: C, to descriptor: Int32) throws {
        let array = Array(bytes)
        var offset = 0
        while offset < array.count {
            let written = array.withUnsafeBytes { buffer in
                buffer.baseAddress.map { Glibc.write(descriptor, $0 + offset, buffer.count - offset) } ?? 0
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw LedgerError.internal("cannot write the output: errno \(errno)") }
            offset += written
        }
    }
}
