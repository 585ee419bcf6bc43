public import Foundation
public import GatehousePostgres

/// Signing keys in PostgreSQL, private material sealed with the master key. The only place
/// that reads or writes `signing_keys`: it loads an environment's ``KeyLifecycle`` and runs
/// the actions that lifecycle decides.
public struct SigningKeyStore: Sendable {
    let masterKey: MasterKey?

    /// - Parameter masterKey: seals new keys and opens stored ones; `nil` where none is at
    ///   hand (then creating or opening a key throws ``KeyError``).
    public init(masterKey: MasterKey?) {
        self.masterKey = masterKey
    }

    /// A stored key of the ring, still sealed.
    struct StoredKey {
        var kid: String
        var algorithm: SigningAlgorithm
        var state: KeyState
        var sealed: Data
        var publicJWK: PostgresJSONB?
    }

    /// Takes the environment's row lock for the rest of the caller's transaction, so that
    /// key changes of one environment (admin API, CLI, scheduler) happen one at a time.
    public func lockRing(tenantID: UUID, environmentID: UUID, on connection: PostgresConnection) async throws {
        try await connection.query("SELECT 1 FROM environments WHERE tenant_id = \(tenantID) AND id = \(environmentID) FOR UPDATE")
    }

    /// Every key of an environment, with the policy of its settings and the database's
    /// clock, ready for an event. Call it under ``lockRing(tenantID:environmentID:on:)``.
    public func lifecycle(tenantID: UUID, environmentID: UUID, on connection: PostgresConnection) async throws -> KeyLifecycle {
        let (now, settings) = try await connection.query(
            "SELECT clock_timestamp(), settings FROM environments WHERE tenant_id = \(tenantID) AND id = \(environmentID)"
        ).single((Date, PostgresJSONB).self)
        let policy = KeyLifecycle.Policy(EnvironmentSettings(stored: settings.object))
        let keys = try await connection.query(
            """
            SELECT kid, state, activate_at, activated_at, retiring_at, coalesce(revoked_at, retired_at) FROM signing_keys
            WHERE tenant_id = \(tenantID) AND environment_id = \(environmentID) ORDER BY created_at, kid
            """
        ).map { row in
            let (kid, state, activateAt, activatedAt, retiringAt, endedAt) = try row.decode((String, String, Date?, Date?, Date?, Date?).self)
            return KeyLifecycle.Key(
                kid: kid,
                state: try Self.state(state, kid: kid),
                activateAt: activateAt,
                activatedAt: activatedAt,
                retiringAt: retiringAt,
                endedAt: endedAt
            )
        }
        return KeyLifecycle(keys: keys, policy: policy, now: now)
    }

    /// Runs a lifecycle's actions inside the caller's transaction, stamping each state it
    /// enters with the transaction's time.
    public func run(_ actions: [KeyLifecycle.Action], tenantID: UUID, environmentID: UUID, on connection: PostgresConnection) async throws {
        for action in actions {
            switch action {
            case .create(let kid, let algorithm, let state, let activateAt):
                try await self.create(
                    kid: kid,
                    algorithm: algorithm,
                    state: state,
                    activateAt: activateAt,
                    tenantID: tenantID,
                    environmentID: environmentID,
                    on: connection
                )
            case .move(let kid, let from, let to):
                let moved = try await connection.query(
                    """
                    UPDATE signing_keys SET state = \(to.rawValue),
                        activated_at = CASE WHEN \(to.rawValue) = 'active' THEN now() ELSE activated_at END,
                        retiring_at = CASE WHEN \(to.rawValue) = 'retiring' THEN now() ELSE retiring_at END,
                        retired_at = CASE WHEN \(to.rawValue) = 'retired' THEN now() ELSE retired_at END,
                        revoked_at = CASE WHEN \(to.rawValue) = 'revoked' THEN now() ELSE revoked_at END
                    WHERE tenant_id = \(tenantID) AND environment_id = \(environmentID) AND kid = \(kid) AND state = \(from.rawValue)
                    """
                ).affectedRows
                guard moved == 1 else { throw KeyError(message: "key \(kid) was not \(from.rawValue): the ring changed without its lock") }
            case .revokeRefreshTokens(let kid):
                try await connection.query(
                    """
                    UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = 'key_revoked'
                    WHERE tenant_id = \(tenantID) AND kid = \(kid) AND revoked_at IS NULL
                    """
                )
            case .delete(let kid):
                try await connection.query(
                    "DELETE FROM signing_keys WHERE tenant_id = \(tenantID) AND environment_id = \(environmentID) AND kid = \(kid)"
                )
            }
        }
    }

    private func create(
        kid: String,
        algorithm: SigningAlgorithm,
        state: KeyState,
        activateAt: Date?,
        tenantID: UUID,
        environmentID: UUID,
        on connection: PostgresConnection
    ) async throws {
        let material = try SigningKeyMaterial.generate(algorithm)
        let sealed = try self.requireMasterKey().seal(material.secret, kid: kid)
        let jwk = try material.publicJWK(kid: kid).map { PostgresJSONB(JSONValue.object($0).jsonText) }
        try await connection.query(
            """
            INSERT INTO signing_keys (tenant_id, environment_id, kid, alg, state, private_key, public_jwk, activate_at, activated_at)
            VALUES (\(tenantID), \(environmentID), \(kid), \(algorithm.rawValue), \(state.rawValue), \(sealed), \(jwk), \(activateAt),
                    CASE WHEN \(state.rawValue) = 'active' THEN now() END)
            """
        )
    }

    /// Environments whose ring may have work for a ``KeyLifecycle/Event/tick(now:)``: a key
    /// staged with an activation time, a key that stopped signing or verifying, or a
    /// scheduled rotation.
    public func environmentsToTick(on connection: PostgresConnection) async throws -> [(tenantID: UUID, environmentID: UUID, slug: String)] {
        try await connection.query(
            """
            SELECT e.tenant_id, e.id, e.slug FROM environments e
            WHERE jsonb_typeof(e.settings -> 'key_rotation_period') = 'number'
               OR EXISTS (SELECT 1 FROM signing_keys k WHERE k.tenant_id = e.tenant_id AND k.environment_id = e.id
                          AND (k.state IN ('retiring', 'retired', 'revoked') OR (k.state = 'next' AND k.activate_at IS NOT NULL)))
            ORDER BY e.tenant_id, e.id
            """
        ).map { try $0.decode((UUID, UUID, String).self) }
    }

    /// The `next` and `active` keys of an environment, and the `retiring` ones that may
    /// still have live tokens: those that began retiring less than `retention` ago.
    func ring(of environmentID: UUID, tenantID: UUID, retention: Duration, database: PostgresClient) async throws -> [StoredKey] {
        try await database.query(
            """
            SELECT kid, alg, state, private_key, public_jwk FROM signing_keys
            WHERE tenant_id = \(tenantID) AND environment_id = \(environmentID) AND state IN ('next', 'active', 'retiring')
              AND (state <> 'retiring' OR retiring_at > now() - make_interval(secs => \(retention.timeInterval)))
            ORDER BY created_at
            """
        ).map { row in
            let (kid, alg, state, sealed, jwk) = try row.decode((String, String, String, Data, PostgresJSONB?).self)
            return StoredKey(
                kid: kid,
                algorithm: try Self.algorithm(alg, kid: kid),
                state: try Self.state(state, kid: kid),
                sealed: sealed,
                publicJWK: jwk
            )
        }
    }

    /// The keys of an environment as the admin API shows them, newest first; one key when `kid` is given.
    public func records(tenantID: UUID, environmentID: UUID, kid: String? = nil, on connection: PostgresConnection) async throws -> [KeyRecord] {
        try await connection.query(
            """
            SELECT kid, alg, state, created_at, activate_at, activated_at, retiring_at, retired_at, revoked_at, public_jwk
            FROM signing_keys
            WHERE tenant_id = \(tenantID) AND environment_id = \(environmentID) AND (\(kid)::text IS NULL OR kid = \(kid))
            ORDER BY created_at DESC, kid
            """
        ).map { row in
            let (kid, alg, state, createdAt, activateAt, activatedAt, retiringAt, retiredAt, revokedAt, jwk) = try row.decode(
                (String, String, String, Date, Date?, Date?, Date?, Date?, Date?, PostgresJSONB?).self
            )
            return KeyRecord(
                kid: kid,
                alg: alg,
                state: try Self.state(state, kid: kid),
                createdAt: createdAt,
                activateAt: activateAt,
                activatedAt: activatedAt,
                retiringAt: retiringAt,
                retiredAt: retiredAt,
                revokedAt: revokedAt,
                publicJWK: jwk?.object
            )
        }
    }

    /// Checks that the master key opens the stored keys, by opening one of them: a wrong
    /// `GATEHOUSE_MASTER_KEY` should stop `serve` at once, not fail every request later.
    public func checkMasterKey(database: PostgresClient) async throws {
        guard let row = try await database.query("SELECT kid, private_key FROM signing_keys LIMIT 1").first else { return }
        let (kid, sealed) = try row.decode((String, Data).self)
        do {
            _ = try self.requireMasterKey().open(sealed, kid: kid)
        } catch {
            throw KeyError(message: "GATEHOUSE_MASTER_KEY does not open the stored signing keys: it is not the key they were sealed with")
        }
    }

    /// Opens a stored key.
    func material(of key: StoredKey) throws -> SigningKeyMaterial {
        SigningKeyMaterial(algorithm: key.algorithm, secret: try self.requireMasterKey().open(key.sealed, kid: key.kid))
    }

    private func requireMasterKey() throws -> MasterKey {
        guard let masterKey = self.masterKey else { throw KeyError(message: "GATEHOUSE_MASTER_KEY is needed to create or open signing keys") }
        return masterKey
    }

    /// A stored state this code does not know is an error, never a guess.
    static func state(_ text: String, kid: String) throws -> KeyState {
        guard let state = KeyState(rawValue: text) else { throw KeyError(message: "key \(kid) has an unknown state \(text)") }
        return state
    }

    static func algorithm(_ text: String, kid: String) throws -> SigningAlgorithm {
        guard let algorithm = SigningAlgorithm(rawValue: text) else { throw KeyError(message: "key \(kid) has an unknown algorithm \(text)") }
        return algorithm
    }
}
