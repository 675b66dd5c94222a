import Dispatch
import Foundation
import Synchronization

/// A bounded queue between one producing and one consuming thread: ``put(_:)`` waits while
/// `capacity` items are waiting, ``take()`` waits for an item. Replay uses two, so that reading
/// the log, applying it and encoding its history run side by side.
final class Handoff<Item: Sendable>: Sendable {
    private let items = Mutex<[Item]>([])
    private let filled = DispatchSemaphore(value: 0)
    private let free: DispatchSemaphore

    init(capacity: Int) { free = DispatchSemaphore(value: capacity) }

    func put(_ item: Item) {
        free.wait()
        items.withLock { $0.append(item) }
        filled.signal()
    }

    func take() -> Item {
        filled.wait()
        let item = items.withLock { $0.removeFirst() }
        free.signal()
        return item
    }
}

/// A value shared between threads behind a lock.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    var value: Value {
        get { mutex.withLock { $0 } }
        set { mutex.withLock { $0 = newValue } }
    }
}

/// A thread that runs `body` once, whose outcome ``join()`` waits for.
final class Worker: Sendable {
    private let outcome = Locked<Result<Void, any Error>?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () throws -> Void) {
        let thread = Thread { [outcome, finished] in
            outcome.value = Result { try body() }
            finished.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Waits for the body to end and rethrows its error.
    func join() throws {
        finished.wait()
        finished.signal()  // a second join returns at once
        try outcome.value?.get()
    }
}
