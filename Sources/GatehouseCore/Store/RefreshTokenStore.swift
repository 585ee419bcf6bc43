public import Foundation
public import GatehousePostgres

/// Outstanding refresh tokens, by `jti`; the raw token is never stored, only its SHA-256
/// digest (`sql/0007_refresh_token_digests.sql`), which a rotation matches.
///
/// Rotation is decided by the database: the old token is revoked by an `UPDATE` that only
/// matches while it is still outstanding, so of any number of concurrent refreshes of one
/// token exactly one finds the row.
public struct RefreshTokenStore: Sendable {
    public init() {}

    /// Why a refresh token is no longer outstanding.
    public enum RevocationReason: String, Sendable {
        case rotated
        case logout
        case blacklisted
        case reuse
        case admin
        case passwordChanged = "password_changed"
        case deactivated
        case keyRevoked = "key_revoked"
    }

    /// What is known of a recorded token.
    public struct Spent: Sendable {
        public var familyID: UUID
        /// Why it is no longer outstanding; `nil` while it is.
        public var reason: RevocationReason?
    }

    /// What a row records of its token and a rotation matches: the SHA-256 digest of the
    /// token's bytes (``TokenCodec/digest(of:)``).
    public static func digest(of token: String) -> Data {
        Data(TokenCodec.digest(of: token))
    }

    /// Records a newly issued refresh token, by its claims and `digest` (``digest(of:)``).
    public func record(
        on connection: PostgresConnection,
        realm: Realm,
        claims: TokenClaims,
        digest: Data,
        familyID: UUID,
        parent: UUID?
    ) async throws {
        try await connection.query(
            """
            INSERT INTO refresh_tokens (tenant_id, jti, environment_id, user_id, family_id, parent_jti, kid, issued_at, expires_at,
                                        token_digest)
            VALUES (\(realm.tenantID), \(claims.jti), \(realm.environmentID), \(claims.userID), \(familyID), \(parent),
                    \(claims.kid), \(claims.issuedAt), \(claims.expiresAt), \(digest))
            """
        )
    }

    /// Records a login's refresh token (its claims and `digest`) and, in the same statement,
    /// the user's `last_login` and a rehashed password when there is one, but only while the
    /// user is active with the very hash the password was checked against. The user's row
    /// stays locked until the statement commits, so a password change or deactivation either
    /// comes first (and nothing is recorded) or after (and its revocation instant covers this
    /// token). A `nil` `checkedHash` (a user read without its hash) matches no user, so
    /// nothing is recorded.
    /// - Returns: whether the token was recorded.
    public func recordLogin(
        database: PostgresClient,
        realm: Realm,
        claims: TokenClaims,
        digest: Data,
        checkedHash: String?,
        updateLastLogin: Bool,
        rehashedPassword: String?
    ) async throws -> Bool {
        let rows = try await database.query(
            """
            WITH checked AS (
                SELECT id FROM users
                WHERE tenant_id = \(realm.tenantID) AND id = \(claims.userID) AND is_active AND password_hash = \(checkedHash)
                FOR NO KEY UPDATE
            ), touched AS (
                UPDATE users SET last_login = CASE WHEN \(updateLastLogin) THEN \(claims.issuedAt) ELSE last_login END,
                                 password_hash = coalesce(\(rehashedPassword), password_hash)
                WHERE tenant_id = \(realm.tenantID) AND id IN (SELECT id FROM checked)
                  AND (\(updateLastLogin) OR \(rehashedPassword) IS NOT NULL)
            )
            INSERT INTO refresh_tokens (tenant_id, jti, environment_id, user_id, family_id, kid, issued_at, expires_at, token_digest)
            SELECT \(realm.tenantID), \(claims.jti), \(realm.environmentID), id, \(claims.jti), \(claims.kid),
                   \(claims.issuedAt), \(claims.expiresAt), \(digest)
            FROM checked
            RETURNING jti
            """
        )
        return !rows.isEmpty
    }

    /// Revokes the token if it is still outstanding; returns its family when it was.
    public func revoke(
        on connection: PostgresConnection,
        realm: Realm,
        jti: UUID,
        reason: RevocationReason
    ) async throws -> UUID? {
        // "Outstanding" asked as `revoked_reason IS NULL`, as ``rotate(on:_:)`` does and why.
        try await connection.query(
            """
            UPDATE refresh_tokens SET revoked_at = clock_timestamp(), revoked_reason = \(reason.rawValue)
            WHERE tenant_id = \(realm.tenantID) AND jti = \(jti) AND environment_id = \(realm.environmentID) AND revoked_reason IS NULL
            RETURNING family_id
            """
        ).first?.decode(UUID.self)
    }

    /// The family and revocation of a token, whatever its state; `nil` when unknown.
    public func find(on connection: PostgresConnection, realm: Realm, jti: UUID) async throws -> Spent? {
        guard
            let row = try await connection.query(
                """
                SELECT family_id, revoked_reason FROM refresh_tokens
                WHERE tenant_id = \(realm.tenantID) AND jti = \(jti) AND environment_id = \(realm.environmentID)
                """
            ).first
        else { return nil }
        let (familyID, reason) = try row.decode((UUID, String?).self)
        return Spent(familyID: familyID, reason: reason.flatMap(RevocationReason.init(rawValue:)))
    }

    /// The family of a token that was rotated at least `grace` seconds ago, by the
    /// database's clock (the one that wrote `revoked_at`): a replay, whose family must be
    /// revoked. `nil` for anything else, a rotation inside the grace period included.
    public func replayedFamily(on connection: PostgresConnection, realm: Realm, jti: UUID, grace: Duration) async throws -> UUID? {
        try await connection.query(
            """
            SELECT family_id FROM refresh_tokens
            WHERE tenant_id = \(realm.tenantID) AND jti = \(jti) AND environment_id = \(realm.environmentID)
              AND revoked_reason = 'rotated' AND clock_timestamp() - revoked_at >= make_interval(secs => \(grace.timeInterval))
            """
        ).first?.decode(UUID.self)
    }

    /// Revokes every outstanding token of a family (a replayed token: theft), including a
    /// child that a concurrent rotation commits meanwhile: each statement sees only what was
    /// committed when it began, so it repeats until a fresh look finds nothing outstanding.
    /// A rotation in flight holds its parent's row lock; the look after it sees its child.
    @discardableResult
    public func revokeFamily(on connection: PostgresConnection, realm: Realm, familyID: UUID) async throws -> Int {
        var revoked = 0
        for _ in 0..<Self.maximumFamilyPasses {
            revoked += try await connection.query(
                """
                UPDATE refresh_tokens SET revoked_at = clock_timestamp(), revoked_reason = 'reuse'
                WHERE tenant_id = \(realm.tenantID) AND family_id = \(familyID) AND revoked_at IS NULL
                """
            ).affectedRows
            let outstanding = try await connection.query(
                """
                SELECT EXISTS (SELECT 1 FROM refresh_tokens
                               WHERE tenant_id = \(realm.tenantID) AND family_id = \(familyID) AND revoked_at IS NULL)
                """
            ).single(Bool.self)
            if !outstanding { break }
        }
        return revoked
    }

    /// A bound on ``revokeFamily(on:realm:familyID:)``'s passes: each pass either revokes
    /// what it sees or waits for a rotation to commit, so two or three are the rule.
    static let maximumFamilyPasses = 64

    /// Deletes the rows of refresh tokens that have expired, a batch at a time so no
    /// statement holds many locks for long, and resting after each full batch as long as it
    /// took: a backlog of millions (a first purge, an outage of the scheduler) takes at most
    /// half of one backend's time while requests run, and never a lock for long.
    /// - Returns: how many rows were deleted.
    public func purgeExpired(on connection: PostgresConnection, batchSize: Int = 10_000) async throws -> Int {
        var deleted = 0
        let clock = ContinuousClock()
        while true {
            let start = clock.now
            let count = try await connection.query(
                """
                DELETE FROM refresh_tokens WHERE (tenant_id, jti) IN (
                    SELECT tenant_id, jti FROM refresh_tokens WHERE expires_at < now() LIMIT \(batchSize)
                )
                """
            ).affectedRows
            deleted += count
            if count < batchSize { return deleted }
            try await Task.sleep(for: min(clock.now - start, .seconds(1)))
        }
    }
}
