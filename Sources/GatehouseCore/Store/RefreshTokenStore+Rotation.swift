public import Foundation
public import GatehousePostgres

extension RefreshTokenStore {
    /// One rotation of a refresh token: the presented one, `old`, into `new` (to record).
    public struct Rotation: Sendable {
        public var tenantID: UUID
        public var environmentID: UUID
        /// The presented token's claims.
        public var old: TokenClaims
        /// The presented token's digest (``RefreshTokenStore/digest(of:)``): the row it spends must
        /// record this digest, or none.
        public var oldDigest: Data
        /// Whether the presented token's signature was checked: only then may it spend a row
        /// that records no digest (one written before digests were).
        public var signatureChecked: Bool
        public var new: TokenClaims
        /// The new token's digest, recorded with it.
        public var newDigest: Data

        public init(realm: Realm, old: TokenClaims, oldDigest: Data, signatureChecked: Bool, new: TokenClaims, newDigest: Data) {
            self.tenantID = realm.tenantID
            self.environmentID = realm.environmentID
            self.old = old
            self.oldDigest = oldDigest
            self.signatureChecked = signatureChecked
            self.new = new
            self.newDigest = newDigest
        }

        /// The token the rotation spends.
        public var key: Key { Key(tenantID: self.tenantID, jti: self.old.jti) }

        /// A refresh token's identity: its tenant and `jti`.
        public struct Key: Hashable, Sendable {
            public var tenantID: UUID
            public var jti: UUID
        }
    }

    /// Rotates each `old` into its `new` in one statement (one round trip, one transaction,
    /// one commit for all of them): revokes `old` if it is still outstanding and its user
    /// may still hold tokens issued when it was, records `new` in the same family, and
    /// answers the user. A rotation missing from the answer matched nothing: its token was
    /// spent or revoked, its user cannot refresh, or it is not the token its row was
    /// recorded for (``Rotation/oldDigest``). Each `old` must appear once.
    ///
    /// "Still outstanding" is asked as `revoked_reason IS NULL`, the same thing by the
    /// table's CHECK, so that no partial index matches and the primary key is the only index
    /// with `jti`: before any ANALYZE (a new database, rows made in bulk) every index looks
    /// empty to the planner, and a lookup by `jti` was planned on refresh_tokens_outstanding
    /// (its predicate is `revoked_at IS NULL`), scanning the tenant's outstanding tokens:
    /// 40 ms a rotation at 72,000 rows.
    public func rotate(on connection: PostgresConnection, _ rotations: [Rotation]) async throws -> [Rotation.Key: User] {
        let rows = try await connection.query(
            """
            WITH input AS (
                SELECT * FROM unnest(\(rotations.map(\.tenantID)), \(rotations.map(\.environmentID)), \(rotations.map(\.old.jti)),
                                     \(rotations.map(\.old.userID)), \(rotations.map(\.old.issuedAt)), \(rotations.map(\.oldDigest)),
                                     \(rotations.map(\.signatureChecked)), \(rotations.map(\.new.jti)), \(rotations.map(\.new.kid)),
                                     \(rotations.map(\.new.issuedAt)), \(rotations.map(\.new.expiresAt)), \(rotations.map(\.newDigest)))
                    AS i (tenant_id, environment_id, old_jti, user_id, old_issued_at, old_digest, signature_checked, new_jti, kid,
                          issued_at, expires_at, new_digest)
            ), eligible AS (
                SELECT i.* FROM input i JOIN users u ON u.tenant_id = i.tenant_id AND u.id = i.user_id
                WHERE u.is_active AND (u.revoked_before IS NULL OR u.revoked_before <= i.old_issued_at)
                  AND NOT EXISTS (
                      SELECT 1 FROM revocation_lists l
                      WHERE l.user_ids @> ARRAY[u.id] AND l.tenant_id = u.tenant_id AND l.revoked_before > i.old_issued_at
                        AND (l.environment_id IS NULL OR l.environment_id = i.environment_id)
                  )
            ), spent AS (
                UPDATE refresh_tokens r SET revoked_at = clock_timestamp(), revoked_reason = 'rotated'
                FROM eligible e
                WHERE r.tenant_id = e.tenant_id AND r.jti = e.old_jti AND r.environment_id = e.environment_id
                  AND r.revoked_reason IS NULL
                  AND (r.token_digest = e.old_digest OR (r.token_digest IS NULL AND e.signature_checked))
                RETURNING r.tenant_id, r.jti, r.family_id
            ), issued AS (
                INSERT INTO refresh_tokens (tenant_id, jti, environment_id, user_id, family_id, parent_jti, kid, issued_at, expires_at,
                                            token_digest)
                SELECT e.tenant_id, e.new_jti, e.environment_id, e.user_id, s.family_id, e.old_jti, e.kid, e.issued_at, e.expires_at,
                       e.new_digest
                FROM spent s JOIN eligible e ON e.tenant_id = s.tenant_id AND e.old_jti = s.jti
                RETURNING tenant_id, user_id, parent_jti
            )
            SELECT u.id, u.tenant_id, u.username, NULL::text, u.role, u.claims, u.is_active, u.last_login, u.revoked_before,
                   issued.parent_jti
            FROM issued JOIN users u ON u.tenant_id = issued.tenant_id AND u.id = issued.user_id
            """
        )
        var owners: [Rotation.Key: User] = [:]
        for row in rows {
            let user = try UserStore.user(row)
            owners[Rotation.Key(tenantID: user.tenantID, jti: try row.decode(column: 9, as: UUID.self))] = user
        }
        return owners
    }
}
