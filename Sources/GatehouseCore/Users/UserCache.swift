public import Foundation
import Synchronization

/// What decides whether a user's tokens verify, kept in memory so that verify and me need
/// no database round trip; dropped when PostgreSQL announces a change (``ChangeFeed``).
///
/// A generation counter guards against a stale fill: a lookup that read the database
/// before an eviction does not store what it read.
public final class UserCache: Sendable {
    /// A user and, per environment, the instant before which the user's tokens are revoked there.
    public struct Entry: Sendable {
        public var user: User
        public var environmentRevocations: [UUID: Date?]
    }

    private struct Key: Hashable {
        var tenant: UUID
        var user: UUID
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var generation: UInt64 = 0
    }

    /// Beyond this many users the cache starts over, so it cannot grow without bound.
    private let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int = 200_000) {
        self.capacity = capacity
    }

    /// The cached user and their revocation instant in `environment`, if both are known.
    public func lookup(tenant: UUID, user: UUID, environment: UUID) -> (user: User, environmentRevokedBefore: Date?)? {
        self.state.withLock { state in
            guard let entry = state.entries[Key(tenant: tenant, user: user)],
                let revoked = entry.environmentRevocations[environment]
            else { return nil }
            return (entry.user, revoked)
        }
    }

    /// The generation to pass to ``store(_:environment:environmentRevokedBefore:generation:)``,
    /// taken before reading the database.
    public var generation: UInt64 {
        self.state.withLock { $0.generation }
    }

    /// Keeps what was read from the database, unless something was evicted since `generation`.
    public func store(_ user: User, environment: UUID, environmentRevokedBefore: Date?, generation: UInt64) {
        self.state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= self.capacity { state.entries.removeAll(keepingCapacity: true) }
            let key = Key(tenant: user.tenantID, user: user.id)
            var entry = state.entries[key] ?? Entry(user: user, environmentRevocations: [:])
            entry.user = user
            entry.environmentRevocations[environment] = .some(environmentRevokedBefore)
            state.entries[key] = entry
        }
    }

    /// Forgets one user.
    public func evict(tenant: UUID, user: UUID) {
        self.state.withLock { state in
            state.generation &+= 1
            state.entries.removeValue(forKey: Key(tenant: tenant, user: user))
        }
    }

    /// Forgets every user of a tenant.
    public func evict(tenant: UUID) {
        self.state.withLock { state in
            state.generation &+= 1
            state.entries = state.entries.filter { $0.key.tenant != tenant }
        }
    }

    /// Forgets everything (after missed notifications).
    public func clear() {
        self.state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll()
        }
    }
}
