import Dispatch
import Foundation
import LedgerStore
import Synchronization

/// The lines of an import file, read and parsed ahead of the importer: a thread of its own reads
/// a batch of lines, parses it on every core (parsing a command line costs far more than deciding
/// it), and hands it over, while the importer decides the previous batch. ``next()`` returns the
/// items in file order; a line that cannot be read or parsed is returned as its error, in its
/// place, so the first problem of the file is the one reported.
///
/// Use from one thread. A feed abandoned early (the import failed) leaves its thread waiting to
/// hand over a batch, or for input, until the process exits, which the CLI then does.
final class ImportFeed {
    /// One parsed line: its item, `nil` for a blank line, or why it is malformed.
    typealias Parsed = Result<ImportItem?, any Error>

    private let batches: BatchQueue
    private var current: [Parsed] = []
    private var index = 0
    private var ended = false

    /// Starts reading `input`; `parse` turns one line (its bytes and number) into its item, or
    /// `nil` for a line to skip.
    init(
        _ input: LineReader, batchSize: Int = 1_024,
        parse: @escaping @Sendable ([UInt8], Int) throws -> ImportItem?,
        progress: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        let batches = BatchQueue(capacity: 4)
        self.batches = batches
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let thread = Thread {
            var lines: [(bytes: [UInt8], number: Int)] = []
            var failure: (any Error)?
            while failure == nil {
                lines.removeAll(keepingCapacity: true)
                do {
                    while lines.count < batchSize, let bytes = try input.next() {
                        lines.append((bytes, input.lineNumber))
                        if input.lineNumber % 10_000 == 0 { progress(input.lineNumber) }
                    }
                } catch {
                    failure = error
                }
                if lines.isEmpty && failure == nil { break }
                var parsed = ImportFeed.parse(lines, workers: workers, parse: parse)
                if let failure { parsed.append(.failure(failure)) }
                batches.put(parsed)
            }
            batches.put(nil)
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Parses `lines` in order, split into one slice for each worker.
    private static func parse(
        _ lines: [(bytes: [UInt8], number: Int)], workers: Int,
        parse: @Sendable ([UInt8], Int) throws -> ImportItem?
    ) -> [Parsed] {
        let slices = min(workers, max(1, lines.count / 64))
        let size = (lines.count + slices - 1) / slices
        let results = Mutex<[Int: [Parsed]]>([:])
        DispatchQueue.concurrentPerform(iterations: slices) { slice in
            let range = (slice * size)..<min(lines.count, (slice + 1) * size)
            let parsed = lines[range].map { line in Result { try parse(line.bytes, line.number) } }
            results.withLock { $0[slice] = parsed }
        }
        return results.withLock { all in (0..<slices).flatMap { all[$0] ?? [] } }
    }

    /// The next item, `nil` at the end of the input.
    /// - Throws: the error of the next line that cannot be read or parsed.
    func next() throws -> ImportItem? {
        while true {
            if index == current.count {
                guard !ended, let batch = batches.take() else {
                    ended = true
                    return nil
                }
                current = batch
                index = 0
                continue
            }
            let parsed = current[index]
            index += 1
            if let item = try parsed.get() { return item }
        }
    }
}

/// A bounded queue of batches between the reading thread and the importer; `nil` ends it.
private final class BatchQueue: Sendable {
    private let items = Mutex<[[ImportFeed.Parsed]?]>([])
    private let filled = DispatchSemaphore(value: 0)
    private let free: DispatchSemaphore

    init(capacity: Int) {
        // Created at 0 and raised to `capacity`: libdispatch refuses to free a semaphore whose
        // value is below its initial one, as an import that stops early leaves this one.
        free = DispatchSemaphore(value: 0)
        for _ in 0..<capacity { free.signal() }
    }

    func put(_ batch: [ImportFeed.Parsed]?) {
        free.wait()
        items.withLock { $0.append(batch) }
        filled.signal()
    }

    func take() -> [ImportFeed.Parsed]? {
        filled.wait()
        let batch = items.withLock { $0.removeFirst() }
        free.signal()
        return batch
    }
}
