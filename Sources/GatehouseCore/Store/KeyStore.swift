public import Foundation
public import GatehousePostgres

/// Signing keys in PostgreSQL, private material sealed with the master key.
public struct KeyStore: Sendable {
    let masterKey: MasterKey

    public init(masterKey: MasterKey) {
        self.masterKey = masterKey
    }

    /// A stored key, still sealed.
    struct StoredKey {
        var kid: String
        var algorithm: SigningAlgorithm
        var state: KeyState
        var sealed: Data
        var publicJWK: PostgresJSONB?
    }

    /// Generates a key and stores it in `state` (`active` or `next`), inside the caller's transaction.
    @discardableResult
    public func createKey(
        on connection: PostgresConnection,
        tenantID: UUID,
        environmentID: UUID,
        algorithm: SigningAlgorithm,
        state: KeyState
    ) async throws -> String {
        let kid = SigningKeyMaterial.newKid()
        let material = try SigningKeyMaterial.generate(algorithm)
        let sealed = try self.masterKey.seal(material.secret, kid: kid)
        let jwk = try material.publicJWK(kid: kid).map { PostgresJSONB(JSONValue.object($0).jsonText) }
        try await connection.query(
            """
            INSERT INTO signing_keys (tenant_id, environment_id, kid, alg, state, private_key, public_jwk, activated_at)
            VALUES (\(tenantID), \(environmentID), \(kid), \(algorithm.rawValue), \(state.rawValue), \(sealed), \(jwk),
                    CASE WHEN \(state.rawValue) = 'active' THEN now() END)
            """
        )
        return kid
    }

    /// Takes the environment's row lock for the rest of the caller's transaction, so that
    /// key changes of one environment (admin API, CLI, scheduler) happen one at a time.
    public static func lockRing(on connection: PostgresConnection, tenantID: UUID, environmentID: UUID) async throws {
        try await connection.query("SELECT 1 FROM environments WHERE tenant_id = \(tenantID) AND id = \(environmentID) FOR UPDATE")
    }

    /// The active key of the environment starts retiring: it stops signing, and verifies
    /// until the environment's longest token lifetime has passed.
    public static func retireActive(on connection: PostgresConnection, tenantID: UUID, environmentID: UUID) async throws {
        try await connection.query(
            """
            UPDATE signing_keys SET state = 'retiring', retiring_at = now()
            WHERE tenant_id = \(tenantID) AND environment_id = \(environmentID) AND state = 'active'
            """
        )
    }

    /// `kid` (a `next` key) signs from now on; the active key starts retiring.
    public static func activate(on connection: PostgresConnection, tenantID: UUID, environmentID: UUID, kid: String) async throws {
        try await Self.retireActive(on: connection, tenantID: tenantID, environmentID: environmentID)
        try await connection.query("UPDATE signing_keys SET state = 'active', activated_at = now() WHERE tenant_id = \(tenantID) AND kid = \(kid)")
    }

    /// The `next` and `active` keys of an environment, and the `retiring` ones that may
    /// still have live tokens: those that began retiring less than `retention` seconds ago
    /// (the environment's longest token lifetime).
    func ring(of environmentID: UUID, tenantID: UUID, retention: Int, database: PostgresClient) async throws -> [StoredKey] {
        try await database.query(
            """
            SELECT kid, alg, state, private_key, public_jwk FROM signing_keys
            WHERE tenant_id = \(tenantID) AND environment_id = \(environmentID) AND state IN ('next', 'active', 'retiring')
              AND (state <> 'retiring' OR retiring_at > now() - make_interval(secs => \(Double(retention))))
            ORDER BY created_at
            """
        ).map { row in
            let (kid, alg, state, sealed, jwk) = try row.decode((String, String, String, Data, PostgresJSONB?).self)
            guard let algorithm = SigningAlgorithm(rawValue: alg), let keyState = KeyState(rawValue: state) else {
                throw KeyError(message: "key \(kid) has an unknown algorithm or state")
            }
            return StoredKey(kid: kid, algorithm: algorithm, state: keyState, sealed: sealed, publicJWK: jwk)
        }
    }

    /// Checks that the master key opens the stored keys, by opening one of them: a wrong
    /// `GATEHOUSE_MASTER_KEY` should stop `serve` at once, not fail every request later.
    public func checkMasterKey(database: PostgresClient) async throws {
        guard let row = try await database.query("SELECT kid, private_key FROM signing_keys LIMIT 1").first else { return }
        let (kid, sealed) = try row.decode((String, Data).self)
        do {
            _ = try self.masterKey.open(sealed, kid: kid)
        } catch {
            throw KeyError(message: "GATEHOUSE_MASTER_KEY does not open the stored signing keys: it is not the key they were sealed with")
        }
    }

    /// Opens a stored key.
    func material(of key: StoredKey) throws -> SigningKeyMaterial {
        SigningKeyMaterial(algorithm: key.algorithm, secret: try self.masterKey.open(key.sealed, kid: key.kid))
    }
}
