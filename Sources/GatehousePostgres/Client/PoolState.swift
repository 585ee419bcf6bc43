import NIOCore

/// The pool's bookkeeping: idle connections, how many exist, and who waits for one.
///
/// A plain value mutated under the client's lock: it decides, the client acts (opens,
/// closes, resumes). Generic over the connection and the waiter, so that every decision is
/// tested with fakes, without a database.
struct PoolState<Connection, Waiter> {
    /// What a caller asking for a connection gets.
    enum Taken {
        /// An idle connection, now lent out.
        case connection(Connection)
        /// Room for one more: the caller makes it (it connects on first use); it counts as lent out.
        case create
        /// Every connection is lent out: wait (``enqueue(_:id:)``).
        case wait
        /// The pool is shut down.
        case closed
    }

    /// What becomes of a returned connection.
    enum Returned {
        /// Lent straight to the longest waiter.
        case handedTo(Waiter)
        case pooled
        /// The pool is shut down: the caller closes it.
        case closed
    }

    let size: Int
    private(set) var idle: [Connection] = []
    private(set) var waiters = CircularBuffer<(id: Int, waiter: Waiter)>()
    /// Connections that exist: idle or lent out.
    private(set) var created = 0
    private(set) var isClosed = false
    private var lastWaiterID = 0

    init(size: Int) {
        self.size = size
        self.idle.reserveCapacity(size)
    }

    /// An idle connection (the most recently returned, whose socket is warmest), room for
    /// a new one while under the pool size, or a wait.
    mutating func take() -> Taken {
        guard !self.isClosed else { return .closed }
        if let connection = self.idle.popLast() {
            return .connection(connection)
        }
        if self.created < self.size {
            self.created += 1
            return .create
        }
        return .wait
    }

    mutating func nextWaiterID() -> Int {
        self.lastWaiterID += 1
        return self.lastWaiterID
    }

    /// Queues a waiter, unless a connection freed up (or the pool closed) since ``take()``.
    mutating func enqueue(_ waiter: Waiter, id: Int) -> Taken {
        let taken = self.take()
        if case .wait = taken {
            self.waiters.append((id, waiter))
        }
        return taken
    }

    /// Takes a waiter out of line (it timed out or was cancelled); `nil` when it was served already.
    mutating func removeWaiter(id: Int) -> Waiter? {
        guard let index = self.waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return self.waiters.remove(at: index).waiter
    }

    /// Hands a returned connection to the longest waiter, or keeps it idle.
    mutating func give(back connection: Connection) -> Returned {
        if self.isClosed {
            self.created -= 1
            return .closed
        }
        if let (_, waiter) = self.waiters.popFirst() {
            return .handedTo(waiter)
        }
        self.idle.append(connection)
        return .pooled
    }

    /// Marks the pool closed; returns the waiters to fail and the idle connections to close.
    mutating func close() -> (waiters: [Waiter], idle: [Connection]) {
        self.isClosed = true
        let waiters = self.waiters.map(\.waiter)
        let idle = self.idle
        self.waiters.removeAll()
        self.idle.removeAll()
        self.created -= idle.count
        return (waiters, idle)
    }
}
