import Foundation
public import GatehousePostgres

/// What operators do to tenants, environments, users, keys and revocations, for the admin
/// API and the command line alike, so both give the same results. Every change runs in one
/// transaction together with its audit record, and PostgreSQL announces it to every
/// instance (`sql/0002_change_notifications.sql`); this instance also drops its own cached
/// copies at once.
public final class AdminService: Sendable {
    let database: PostgresClient
    let keys: SigningKeyStore
    let hasher: PasswordHasher
    let issuers: IssuerURLs
    let audit = AuditLog()
    let tenants: TenantStore
    private let realms: RealmDirectory?
    private let userCache: UserCache?

    /// - Parameters:
    ///   - database: where everything is stored.
    ///   - keys: the signing keys; without a master key, operations that create keys fail
    ///     with ``KeyError``.
    ///   - hasher: hashes new passwords.
    ///   - publicURL: the base of issuer URLs.
    ///   - realms: this instance's realm cache, dropped at once after a change.
    ///   - userCache: this instance's user cache, dropped at once after a change.
    public init(
        database: PostgresClient,
        keys: SigningKeyStore,
        hasher: PasswordHasher,
        publicURL: String,
        realms: RealmDirectory? = nil,
        userCache: UserCache? = nil
    ) {
        self.database = database
        self.keys = keys
        self.hasher = hasher
        self.issuers = IssuerURLs(publicURL: publicURL)
        self.tenants = TenantStore(database: database)
        self.realms = realms
        self.userCache = userCache
    }

    /// The caller an admin API key speaks for; `nil` for a key that is unknown, revoked or
    /// malformed (checked in constant time).
    public func authenticate(apiKey: String) async throws -> AdminActor? {
        try await AdminAPIKeyStore(database: self.database).authenticate(apiKey)
    }

    /// Deletes the rows of expired refresh tokens (what the scheduler does every few
    /// seconds, for `gatehouse tokens flush` from cron); returns how many went.
    public func purgeExpiredRefreshTokens() async throws -> Int {
        try await self.database.withConnection { try await RefreshTokenStore().purgeExpired(on: $0) }
    }

    /// The id of the tenant `slug`, if `actor` reaches it.
    /// - Throws: ``AdminError/forbidden`` for a tenant-scoped actor and another tenant
    ///   (whether it exists or not), ``AdminError/notFound(_:)`` for an unknown tenant.
    func tenantID(_ slug: String, actor: AdminActor, on connection: PostgresConnection) async throws -> UUID {
        let id = try await connection.query("SELECT id FROM tenants WHERE slug = \(slug)").first?.decode(UUID.self)
        guard let id else {
            if !actor.isGlobal { throw AdminError.forbidden }
            throw AdminError.notFound("tenant \(slug)")
        }
        guard actor.reaches(id) else { throw AdminError.forbidden }
        return id
    }

    /// Refuses a tenant-scoped actor outside its tenant before anything else is looked at.
    /// - Throws: ``AdminError/forbidden``.
    public func checkReach(tenant slug: String, actor: AdminActor) async throws {
        guard !actor.isGlobal else { return }
        _ = try await self.database.withConnection { try await self.tenantID(slug, actor: actor, on: $0) }
    }

    /// Refuses tenant-scoped actors on routes that span tenants.
    func requireGlobal(_ actor: AdminActor) throws {
        guard actor.isGlobal else { throw AdminError.forbidden }
    }

    /// Drops this instance's cached realms of a tenant (other instances hear it from PostgreSQL).
    func realmsChanged(_ tenantID: UUID) {
        self.realms?.invalidate(tenant: tenantID)
    }

    /// Drops this instance's cached users of a tenant, or one of them.
    func usersChanged(_ tenantID: UUID, user: UUID? = nil) {
        if let user {
            self.userCache?.evict(tenant: tenantID, user: user)
        } else {
            self.userCache?.evict(tenant: tenantID)
        }
    }

    /// Checks `limit` from a list request: 1 to 1000, default 100.
    static func pageSize(_ limit: Int?) throws -> Int {
        guard let limit else { return 100 }
        guard (1...1000).contains(limit) else { throw AdminError.invalid(field: "limit", reason: "must be from 1 to 1000") }
        return limit
    }

    /// Opaque cursors: base64url of the last item's sort key.
    static func cursor(_ key: String) -> String {
        Base64URL.encode(Array(key.utf8))
    }

    static func decodeCursor(_ cursor: String?) throws -> String? {
        guard let cursor else { return nil }
        guard let bytes = Base64URL.decode(Array(cursor.utf8)), let key = String(bytes: bytes, encoding: .utf8) else {
            throw AdminError.invalid(field: "cursor", reason: "is not a cursor this service gave out")
        }
        return key
    }

    /// Turns the constraint violations an admin request can cause into ``AdminError``s.
    static func translate<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PostgresError where error.sqlState == .uniqueViolation {
            switch error.constraint {
            case "tenants_slug_key": throw AdminError.conflict("a tenant with this slug already exists")
            case "environments_tenant_id_slug_key": throw AdminError.conflict("an environment with this slug already exists")
            case "users_tenant_id_username_key": throw AdminError.conflict("a user with this username already exists")
            default: throw AdminError.conflict("already exists")
            }
        }
    }
}
