import Synchronization

/// A dictionary shared by all requests that forgets on command (a change notification) and
/// refuses a fill that raced a forget: a reader takes ``generation`` before reading the
/// database and passes it to ``update(_:generation:_:)``, which stores nothing if anything
/// was forgotten in between.
///
/// The periodic reload does not forget but demotes (``demoteAll()``): readers reload, and a
/// reader that cannot reach the database may still answer from the demoted copy
/// (``stale(_:)``), so an outage that begins just after a reload does not empty the cache.
final class InvalidatingCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var entries: [Key: Value] = [:]
        /// What ``demoteAll()`` moved aside, until a forget says it changed.
        var stale: [Key: Value] = [:]
        var generation: UInt64 = 0
    }

    /// Beyond this many entries the cache starts over, so it cannot grow without bound.
    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    subscript(key: Key) -> Value? {
        self.state.withLock { $0.entries[key] }
    }

    /// Take this before reading what will be stored.
    var generation: UInt64 {
        self.state.withLock { $0.generation }
    }

    /// Changes the entry for `key`, unless something was forgotten since `generation`.
    func update(_ key: Key, generation: UInt64, _ change: (inout Value?) -> Void) {
        self.state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= self.capacity { state.entries.removeAll(keepingCapacity: true) }
            change(&state.entries[key])
        }
    }

    /// The demoted copy for `key`: for a reader that cannot reach the database.
    func stale(_ key: Key) -> Value? {
        self.state.withLock { $0.stale[key] }
    }

    /// Moves every entry aside: readers load it again, and fall back to the demoted copy
    /// only while the database is unreachable. Nothing is known to have changed, so a fill
    /// that was under way is still kept (only a forget refuses it).
    func demoteAll() {
        self.state.withLock { state in
            if state.stale.count + state.entries.count > self.capacity { state.stale.removeAll(keepingCapacity: true) }
            state.stale.merge(state.entries) { _, current in current }
            state.entries.removeAll()
        }
    }

    /// Forgets the entries that `shouldForget` picks.
    func forget(where shouldForget: (Key, Value) -> Bool) {
        self.state.withLock { state in
            state.generation &+= 1
            state.entries = state.entries.filter { !shouldForget($0.key, $0.value) }
            state.stale = state.stale.filter { !shouldForget($0.key, $0.value) }
        }
    }

    /// Forgets one entry.
    func forget(_ key: Key) {
        self.state.withLock { state in
            state.generation &+= 1
            state.entries.removeValue(forKey: key)
            state.stale.removeValue(forKey: key)
        }
    }

    /// Forgets everything.
    func forgetAll() {
        self.state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll()
            state.stale.removeAll()
        }
    }
}
