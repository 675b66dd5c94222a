import AccessModel
import PostgresClient

/// Replay's reading thread: streams the log on a connection of its own and decodes the events
/// (``LedgerEvent``) in batches, while the replay applies the previous ones.
final class ReplayReader: Sendable {
    struct Decoded: Sendable {
        var event: LedgerEvent
        var position: Int64
        var occurredAt: Timestamp
    }

    enum Batch: Sendable {
        case events([Decoded])
        case end
        case failed(any Error)
    }

    struct Stopped: Error {}

    let batches = Handoff<Batch>(capacity: 16)
    private let stopped = Locked(false)
    let worker: Worker

    init(connect: @escaping @Sendable () throws -> Connection, head: Int64) {
        let batches = self.batches
        let stopped = self.stopped
        worker = Worker {
            do {
                let events = try connect()
                defer { events.close() }
                var batch: [Decoded] = []
                batch.reserveCapacity(1_024)
                try EventStore(connection: events).forEachEvent(through: head) { recorded in
                    let event: LedgerEvent
                    do { event = try LedgerEvent(recorded: recorded) } catch let error as EventDecodingError {
                        throw UnreadableEvent(position: recorded.position, problem: error.description)
                    }
                    batch.append(Decoded(event: event, position: recorded.position, occurredAt: recorded.occurredAt))
                    guard batch.count == 1_024 else { return }
                    guard !stopped.value else { throw Stopped() }
                    batches.put(.events(batch))
                    batch.removeAll(keepingCapacity: true)
                }
                if !batch.isEmpty { batches.put(.events(batch)) }
                batches.put(.end)
            } catch {
                batches.put(.failed(error))
                throw error
            }
        }
    }

    /// Asks the reader to stop at its next batch (it then sends `.failed`).
    func stop() { stopped.value = true }
}
