public import Foundation
public import GatehousePostgres
import Synchronization

/// Fixed-window throttles that hold across instances: N instances on one database admit,
/// together, at most the configured rate.
///
/// Each instance leases slices of a window's budget from PostgreSQL (`throttle_counters`,
/// through `gatehouse_throttle_lease`, which never grants more than the budget) and spends
/// them locally, so a request costs a round trip only when its slice is used up: one in
/// ``sliceDivisor`` of the rate. Concurrent requests for one key share one lease. Once the
/// database has said a window is spent, the instance refuses locally until it ends. While
/// the database is away, requests are counted by this instance alone (``RateLimiter``).
///
/// Keys are hashes; windows are swept when they end; at most ``capacity`` keys are held,
/// and past that a request leases for itself without being remembered.
public final class SharedThrottle: Sendable {
    private struct Lease {
        var start: Int
        var period: Int
        /// Granted to this instance and not yet spent.
        var remaining = 0
        /// The database granted nothing more this window.
        var spent = false
        /// A lease being asked for, which other requests for the key wait on.
        var pending: Task<Int, any Error>?
    }

    private struct State {
        var leases: [ThrottleKey: Lease] = [:]
        var sweptAt = 0
        /// Until this second, requests are counted locally: a lease failed.
        var localUntil = 0
    }

    private enum Step {
        case admitted
        case refused
        case wait(Task<Int, any Error>)
        case untracked
        case local
    }

    /// The most keys held at once.
    public static let capacity = 100_000
    /// A lease asks for this fraction of the rate (at least one request).
    public static let sliceDivisor = 10
    /// The most leases one request waits for before it is refused.
    static let maximumPasses = 64

    private let database: PostgresClient
    private let clock: DatabaseClock
    private let state = Mutex(State())
    private let local = RateLimiter()

    /// - Parameters:
    ///   - database: where the shared counts are.
    ///   - clock: decides the windows, the same on every instance.
    public init(database: PostgresClient, clock: DatabaseClock) {
        self.database = database
        self.clock = clock
    }

    /// Counts one request for `key` of `tenant` at `rate`.
    /// - Returns: `nil` when admitted, else the seconds until the window ends (`Retry-After`).
    public func admit(_ key: ThrottleKey, tenant: UUID, rate: ThrottleRate) async -> Int? {
        let now = self.clock.now()
        let second = Int(now.timeIntervalSince1970)
        let start = second - second % rate.period
        let retryAfter = max(1, start + rate.period - second)
        let want = max(1, rate.requests / Self.sliceDivisor)
        // Each pass either decides or waits for a lease, which has updated the state when
        // it comes back; a burst of one key may wait for several.
        for _ in 0..<Self.maximumPasses {
            switch self.step(key, start: start, period: rate.period, second: second, tenant: tenant, want: want, limit: rate.requests) {
            case .local:
                return self.local.admit(key, rate: rate, now: now)
            case .admitted:
                return nil
            case .refused:
                return retryAfter
            case .wait(let pending):
                if (try? await pending.value) == nil { return self.local.admit(key, rate: rate, now: now) }
            case .untracked:
                do {
                    return try await self.lease(key, tenant: tenant, start: start, want: 1, limit: rate.requests) == 1 ? nil : retryAfter
                } catch {
                    return self.local.admit(key, rate: rate, now: now)
                }
            }
        }
        return retryAfter
    }

    /// Gives back one request counted for `key` in the current window (a login that
    /// succeeded gives back the attempt it reserved); it is spent again by this instance.
    public func giveBack(_ key: ThrottleKey, rate: ThrottleRate) {
        let second = Int(self.clock.now().timeIntervalSince1970)
        let start = second - second % rate.period
        self.state.withLock { state in
            guard var lease = state.leases[key], lease.start == start else { return }
            lease.remaining += 1
            state.leases[key] = lease
        }
    }

    private func step(_ key: ThrottleKey, start: Int, period: Int, second: Int, tenant: UUID, want: Int, limit: Int) -> Step {
        self.state.withLock { state -> Step in
            if state.sweptAt != second {
                state.sweptAt = second
                state.leases = state.leases.filter { $0.value.start + $0.value.period > second || $0.value.pending != nil }
            }
            if second < state.localUntil { return .local }
            var lease = state.leases[key] ?? Lease(start: start, period: period)
            if state.leases[key] == nil, state.leases.count >= Self.capacity { return .untracked }
            if lease.start != start, lease.pending == nil {
                lease = Lease(start: start, period: period)
            }
            if lease.remaining > 0 {
                lease.remaining -= 1
                state.leases[key] = lease
                return .admitted
            }
            if lease.spent {
                state.leases[key] = lease
                return .refused
            }
            if let pending = lease.pending { return .wait(pending) }
            let pending = Task { try await self.leaseIntoState(key, tenant: tenant, start: start, second: second, want: want, limit: limit) }
            lease.pending = pending
            state.leases[key] = lease
            return .wait(pending)
        }
    }

    /// Leases a slice and adds it to the key's state before anybody waiting hears of it.
    private func leaseIntoState(_ key: ThrottleKey, tenant: UUID, start: Int, second: Int, want: Int, limit: Int) async throws -> Int {
        do {
            let granted = try await self.lease(key, tenant: tenant, start: start, want: want, limit: limit)
            self.state.withLock { state in
                guard var lease = state.leases[key], lease.start == start else { return }
                lease.pending = nil
                lease.remaining += granted
                lease.spent = granted == 0
                state.leases[key] = lease
            }
            return granted
        } catch {
            // The database is away (or refused): count locally for a second.
            self.state.withLock { state in
                state.leases[key]?.pending = nil
                state.localUntil = second + 1
            }
            throw error
        }
    }

    private func lease(_ key: ThrottleKey, tenant: UUID, start: Int, want: Int, limit: Int) async throws -> Int {
        try await self.database.query(
            """
            SELECT gatehouse_throttle_lease(
                \(tenant), \(key.description), \(Date(timeIntervalSince1970: Double(start))), \(want)::integer, \(limit)::integer
            )
            """
        ).single(Int.self)
    }
}
