public import Foundation
import Synchronization

/// A fixed number of permits shared out in turn among tenants: a tenant whose bulk work
/// queues a million items waits its turn behind one item of each other tenant, and never
/// holds more permits than there are.
///
/// Bulk hashing (imports) takes a permit per hash, so at most that many hashing threads
/// run bulk work at once and logins, which do not take permits, always find a thread soon.
public final class FairShare: Sendable {
    private struct State {
        var available: Int
        /// Waiters per tenant, oldest first.
        var waiting: [UUID: [CheckedContinuation<Void, Never>]] = [:]
        /// Tenants with waiters, in the order they are served.
        var turns: [UUID] = []
    }

    private let state: Mutex<State>

    /// - Parameter permits: how many holders at once (at least one).
    public init(permits: Int) {
        self.state = Mutex(State(available: max(1, permits)))
    }

    /// Runs `body` holding one permit, taken in `tenant`'s turn.
    public func withPermit<T>(for tenant: UUID, _ body: () async throws -> T) async throws -> T {
        await self.acquire(tenant)
        defer { self.release() }
        return try await body()
    }

    /// How many wait for a permit.
    public var waiting: Int {
        self.state.withLock { $0.waiting.values.reduce(0) { $0 + $1.count } }
    }

    private func acquire(_ tenant: UUID) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = self.state.withLock { state -> Bool in
                if state.available > 0, state.turns.isEmpty {
                    state.available -= 1
                    return true
                }
                if state.waiting[tenant, default: []].isEmpty { state.turns.append(tenant) }
                state.waiting[tenant, default: []].append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    private func release() {
        let next = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.turns.isEmpty else {
                state.available += 1
                return nil
            }
            // The permit passes straight to the next tenant in turn, which goes to the back.
            let tenant = state.turns.removeFirst()
            var queue = state.waiting.removeValue(forKey: tenant) ?? []
            guard !queue.isEmpty else {
                state.available += 1
                return nil
            }
            let continuation = queue.removeFirst()
            if !queue.isEmpty {
                state.waiting[tenant] = queue
                state.turns.append(tenant)
            }
            return continuation
        }
        next?.resume()
    }
}
