public import Foundation
public import GatehousePostgres
import JWTKit
import Synchronization

/// Finds realms by tenant and environment slug, loading them from PostgreSQL and keeping
/// them until ``ChangeFeed`` says their tenant changed, so that requests find their realm
/// in memory.
public final class RealmDirectory: Sendable {
    private let database: PostgresClient
    private let keys: SigningKeyStore
    /// Where the realms' issuer URLs come from.
    public let issuers: IssuerURLs
    private let cache = InvalidatingCache<String, Realm>(capacity: 100_000)
    /// Access tokens the realms have verified: one bound for all of them.
    let verifiedTokens = VerifiedTokens()
    /// Realm names recently found not to exist: a flood of requests to made-up realms costs
    /// one query per name per `missTTL`, not one per request.
    private let misses = Mutex<[String: ContinuousClock.Instant]>([:])
    private let missTTL: Duration
    static let missCapacity = 10_000
    /// Reads of a realm on behalf of tokens with an unknown `kid`, by realm.
    private let kidReloads = Mutex<[UUID: KidReload]>([:])
    /// The least time between two reads of one realm for unknown kids.
    static let kidReloadSpacing: Duration = .milliseconds(100)

    private struct KidReload {
        /// When the read starts (or started).
        var start: ContinuousClock.Instant
        var task: Task<Realm?, any Error>
    }
    /// jwt-kit signers by kid: a kid's key material never changes, so a signer is built once.
    /// Keys come and go with rotations for as long as the process runs, so past
    /// ``signerCapacity`` the map starts over (the rings in use build theirs again).
    private let signers = Mutex<[String: any JWTAlgorithm]>([:])
    static let signerCapacity = 50_000

    /// - Parameters:
    ///   - database: where realms are stored.
    ///   - keys: opens the stored keys.
    ///   - publicURL: the base of issuer URLs, without a trailing slash.
    ///   - missTTL: how long a realm found not to exist is answered as such from memory (a
    ///     new realm's notification ends it sooner on every instance).
    public init(database: PostgresClient, keys: SigningKeyStore, publicURL: String, missTTL: Duration = .seconds(1)) {
        self.missTTL = missTTL
        self.database = database
        self.keys = keys
        self.issuers = IssuerURLs(publicURL: publicURL)
    }

    /// The realm, or `nil` when the tenant or the environment does not exist.
    /// - Parameter refresh: read it from the database even if a copy is kept.
    public func realm(tenant: String, environment: String, refresh: Bool = false) async throws -> Realm? {
        let key = tenant + "/" + environment
        let generation = self.cache.generation
        if !refresh, let cached = self.cache[key] {
            return cached
        }
        // Names that cannot be slugs never reach the database.
        guard Self.isSlug(tenant), Self.isSlug(environment) else { return nil }
        if !refresh, self.misses.withLock({ $0[key].map { $0 > .now } ?? false }) { return nil }
        let loaded: Realm?
        do {
            loaded = try await self.load(tenant: tenant, environment: environment)
        } catch let error as PostgresError where error.isUnavailable {
            // The database is away: the copy from before the last periodic reload still holds.
            guard let stale = self.cache.stale(key) else { throw error }
            return stale
        }
        guard let realm = loaded else {
            self.rememberMiss(key)
            return nil
        }
        // A change announced while loading may not be in what was read: then nothing is kept.
        self.cache.update(key, generation: generation) { $0 = realm }
        return realm
    }

    /// A copy of `realm` read from the database after `instant`, for a token with a `kid`
    /// the copy in hand does not know. Callers waiting at the same time share one read, and
    /// reads of one realm start at least ``kidReloadSpacing`` apart; `nil` when the realm
    /// is gone.
    public func realm(of realm: Realm, loadedAfter instant: ContinuousClock.Instant) async throws -> Realm? {
        let task = self.kidReloads.withLock { reloads -> Task<Realm?, any Error> in
            if let current = reloads[realm.environmentID], current.start >= instant { return current.task }
            let now = ContinuousClock.now
            let start = max(now, reloads[realm.environmentID].map { $0.start + Self.kidReloadSpacing } ?? now)
            let task = Task {
                try await Task.sleep(until: start, clock: .continuous)
                return try await self.realm(tenant: realm.tenantSlug, environment: realm.environmentSlug, refresh: true)
            }
            if reloads.count >= Self.missCapacity {
                reloads = reloads.filter { $0.value.start > now - .seconds(1) }
            }
            reloads[realm.environmentID] = KidReload(start: start, task: task)
            return task
        }
        guard let reloaded = try await task.value, reloaded.environmentID == realm.environmentID else { return nil }
        return reloaded
    }

    /// Forgets the realms of a tenant; the next request reads them again.
    public func invalidate(tenant: UUID) {
        self.cache.forget { _, realm in realm.tenantID == tenant }
        self.misses.withLock { $0.removeAll() }
    }

    /// Forgets every realm.
    public func invalidateAll() {
        self.cache.forgetAll()
        self.misses.withLock { $0.removeAll() }
    }

    private func rememberMiss(_ key: String) {
        let now = ContinuousClock.now
        self.misses.withLock { misses in
            if misses.count >= Self.missCapacity {
                misses = misses.filter { $0.value > now }
                if misses.count >= Self.missCapacity { misses.removeAll() }
            }
            misses[key] = now + self.missTTL
        }
    }

    /// The slug rule of contract section 1: `[a-z0-9][a-z0-9-]{0,62}`.
    static func isSlug(_ text: String) -> Bool {
        let bytes = text.utf8
        guard (1...63).contains(bytes.count), bytes.first != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-")
        }
    }

    /// Has every realm read again on its next use, keeping the current copy for while the
    /// database is unreachable (the periodic reload).
    public func reloadAll() {
        self.cache.demoteAll()
    }

    private func load(tenant: String, environment: String) async throws -> Realm? {
        guard
            let row = try await self.database.query(
                """
                SELECT t.id, e.id, e.settings, e.tokens_revoked_before
                FROM tenants t JOIN environments e ON e.tenant_id = t.id
                WHERE t.slug = \(tenant) AND e.slug = \(environment)
                """
            ).first
        else { return nil }
        let (tenantID, environmentID, settingsJSON, revokedBefore) = try row.decode((UUID, UUID, PostgresJSONB, Date?).self)
        let settings = EnvironmentSettings(stored: settingsJSON.object)

        var ringKeys: [KeyRing.Key] = []
        var published: [[String: JSONValue]] = []
        // A retiring key stays while tokens it signed can still be valid.
        for stored in try await self.keys.ring(
            of: environmentID,
            tenantID: tenantID,
            retention: settings.keyRetention,
            database: self.database
        ) {
            ringKeys.append(
                try KeyRing.Key(kid: stored.kid, algorithm: stored.algorithm, state: stored.state, signer: try await self.signer(for: stored))
            )
            if let object = stored.publicJWK?.object, !object.isEmpty {
                published.append(object)
            }
        }
        let issuer = self.issuers.issuer(tenant: tenant, environment: environment)
        return Realm(
            tenantID: tenantID,
            tenantSlug: tenant,
            environmentID: environmentID,
            environmentSlug: environment,
            settings: settings,
            ring: try KeyRing(keys: ringKeys, published: published),
            codec: TokenCodec(issuer: issuer, audience: settings.audience, leeway: settings.leeway),
            revokedBefore: revokedBefore,
            verifiedTokens: self.verifiedTokens
        )
    }

    private func signer(for stored: SigningKeyStore.StoredKey) async throws -> any JWTAlgorithm {
        if let signer = self.signers.withLock({ $0[stored.kid] }) { return signer }
        let signer = try await self.keys.material(of: stored).signer(kid: stored.kid)
        self.signers.withLock { signers in
            if signers.count >= Self.signerCapacity { signers.removeAll(keepingCapacity: true) }
            signers[stored.kid] = signer
        }
        return signer
    }
}
