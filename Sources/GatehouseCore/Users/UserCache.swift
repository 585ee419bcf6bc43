public import Foundation

/// What decides whether a user's tokens verify, kept in memory so that verify and me need
/// no database round trip; dropped when PostgreSQL announces a change (``ChangeFeed``).
///
/// A lookup that read the database before an eviction does not store what it read
/// (``InvalidatingCache``).
public final class UserCache: Sendable {
    /// A user and, per environment, the instant before which the user's tokens are revoked there.
    public struct Entry: Sendable {
        public var user: User
        public var environmentRevocations: [UUID: Date?]
    }

    private struct Key: Hashable, Sendable {
        var tenant: UUID
        var user: UUID
    }

    private let entries: InvalidatingCache<Key, Entry>

    /// - Parameter capacity: beyond this many users the cache starts over.
    public init(capacity: Int = 200_000) {
        self.entries = InvalidatingCache(capacity: capacity)
    }

    /// The cached user and their revocation instant in `environment`, if both are known.
    public func lookup(tenant: UUID, user: UUID, environment: UUID) -> (user: User, environmentRevokedBefore: Date?)? {
        guard let entry = self.entries[Key(tenant: tenant, user: user)],
            let revoked = entry.environmentRevocations[environment]
        else { return nil }
        return (entry.user, revoked)
    }

    /// The generation to pass to ``store(_:environment:environmentRevokedBefore:generation:)``,
    /// taken before reading the database.
    public var generation: UInt64 {
        self.entries.generation
    }

    /// Keeps what was read from the database, unless something was evicted since `generation`.
    public func store(_ user: User, environment: UUID, environmentRevokedBefore: Date?, generation: UInt64) {
        self.entries.update(Key(tenant: user.tenantID, user: user.id), generation: generation) { entry in
            var updated = entry ?? Entry(user: user, environmentRevocations: [:])
            updated.user = user
            updated.environmentRevocations[environment] = .some(environmentRevokedBefore)
            entry = updated
        }
    }

    /// Forgets one user.
    public func evict(tenant: UUID, user: UUID) {
        self.entries.forget(Key(tenant: tenant, user: user))
    }

    /// Forgets every user of a tenant.
    public func evict(tenant: UUID) {
        self.entries.forget { key, _ in key.tenant == tenant }
    }

    /// The copy from before the last ``reloadAll()``, for while the database is unreachable.
    public func staleLookup(tenant: UUID, user: UUID, environment: UUID) -> (user: User, environmentRevokedBefore: Date?)? {
        guard let entry = self.entries.stale(Key(tenant: tenant, user: user)),
            let revoked = entry.environmentRevocations[environment]
        else { return nil }
        return (entry.user, revoked)
    }

    /// Has every user read again on next use, keeping the current copy for while the
    /// database is unreachable (the periodic reload).
    public func reloadAll() {
        self.entries.demoteAll()
    }

    /// Forgets everything (after missed notifications).
    public func clear() {
        self.entries.forgetAll()
    }
}
