import NIOCore

/// The pool's bookkeeping: idle connections, how many exist, and who waits for one.
///
/// A plain value mutated under the client's lock; it decides, the client acts.
struct PoolState {
    struct Waiter {
        var id: Int
        var continuation: CheckedContinuation<LibPQConnection, any Error>
    }

    enum Enqueued {
        case enqueued
        case connection(LibPQConnection)
        case closed
    }

    enum Returned {
        case handedTo(Waiter)
        case pooled
        case closed
    }

    private(set) var idle: [LibPQConnection] = []
    private(set) var waiters = CircularBuffer<Waiter>()
    private(set) var created = 0
    private(set) var isClosed = false
    private var lastWaiterID = 0

    init(capacity: Int) {
        self.idle.reserveCapacity(capacity)
    }

    /// An idle connection, or a new one while under the pool size; `nil` when the caller must wait.
    mutating func take(configuration: PostgresConfiguration) -> LibPQConnection? {
        guard !self.isClosed else { return nil }
        if let connection = self.idle.popLast() {
            return connection
        }
        if self.created < configuration.poolSize {
            self.created += 1
            return LibPQConnection(configuration: configuration)
        }
        return nil
    }

    mutating func nextWaiterID() -> Int {
        self.lastWaiterID += 1
        return self.lastWaiterID
    }

    /// Queues a waiter, unless a connection freed up since ``take(configuration:)``.
    mutating func enqueue(_ waiter: Waiter, configuration: PostgresConfiguration) -> Enqueued {
        if self.isClosed { return .closed }
        if let connection = self.take(configuration: configuration) {
            return .connection(connection)
        }
        self.waiters.append(waiter)
        return .enqueued
    }

    mutating func removeWaiter(id: Int) -> Waiter? {
        guard let index = self.waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return self.waiters.remove(at: index)
    }

    /// Hands a returned connection to the longest waiter, or keeps it idle.
    mutating func give(back connection: LibPQConnection) -> Returned {
        if self.isClosed {
            self.created -= 1
            return .closed
        }
        if let waiter = self.waiters.popFirst() {
            return .handedTo(waiter)
        }
        self.idle.append(connection)
        return .pooled
    }

    /// Marks the pool closed; returns the waiters to fail and the idle connections to close.
    mutating func close() -> ([Waiter], [LibPQConnection]) {
        self.isClosed = true
        let waiters = Array(self.waiters)
        let idle = self.idle
        self.waiters.removeAll()
        self.idle.removeAll()
        self.created -= idle.count
        return (waiters, idle)
    }
}
