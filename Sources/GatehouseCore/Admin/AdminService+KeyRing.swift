import Foundation
import GatehousePostgres

/// Reading an environment's key ring for the key operations, and the ring's bounds.
extension AdminService {
    func key(_ ids: EnvironmentIDs, kid: String, on connection: PostgresConnection) async throws -> KeyRecord {
        guard
            let row = try await connection.query(
                """
                SELECT \(unsafeSQL: Self.keyColumns) FROM signing_keys
                WHERE tenant_id = \(ids.tenant) AND environment_id = \(ids.environment) AND kid = \(kid)
                """
            ).first
        else { throw AdminError.notFound("key \(kid)") }
        return try Self.keyRecord(row)
    }

    /// The kids of the active and the staged key.
    func keyStates(_ ids: EnvironmentIDs, on connection: PostgresConnection) async throws -> (active: String?, next: String?) {
        var active: String?
        var next: String?
        for row in try await connection.query(
            """
            SELECT kid, state FROM signing_keys
            WHERE tenant_id = \(ids.tenant) AND environment_id = \(ids.environment) AND state IN ('active', 'next')
            """
        ) {
            let (kid, state) = try row.decode((String, String).self)
            if state == "active" { active = kid } else { next = kid }
        }
        return (active, next)
    }

    /// The most keys in one ring (`next`, `active`, `retiring`): each is published, kept in
    /// every instance's memory and tried by kid on every verification.
    public static let maximumRingKeys = 16
    /// The most keys stored for one environment, retired and revoked ones included (the
    /// scheduler deletes those one retention after they left the ring).
    public static let maximumStoredKeys = 100

    /// Refuses a rotation that would grow the ring or the stored keys past their bounds.
    func checkRoom(_ ids: EnvironmentIDs, on connection: PostgresConnection) async throws {
        let (ring, stored) = try await connection.query(
            """
            SELECT count(*) FILTER (WHERE state IN ('next', 'active', 'retiring')), count(*) FROM signing_keys
            WHERE tenant_id = \(ids.tenant) AND environment_id = \(ids.environment)
            """
        ).single((Int, Int).self)
        guard ring < Self.maximumRingKeys else {
            throw AdminError.conflict("the key ring already holds \(Self.maximumRingKeys) keys: retire retiring keys before rotating again")
        }
        guard stored < Self.maximumStoredKeys else {
            throw AdminError.conflict("the environment already stores \(Self.maximumStoredKeys) keys; the scheduler deletes retired ones later")
        }
    }

    func rotation(_ ids: EnvironmentIDs, on connection: PostgresConnection) async throws -> KeyRotation {
        let states = try await self.keyStates(ids, on: connection)
        guard let active = states.active else { throw AdminError.conflict("no active key") }
        return KeyRotation(
            active: try await self.key(ids, kid: active, on: connection),
            next: try await states.next.asyncMap { try await self.key(ids, kid: $0, on: connection) }
        )
    }

    func settings(of ids: EnvironmentIDs, on connection: PostgresConnection) async throws -> EnvironmentSettings {
        let json = try await connection.query(
            "SELECT settings FROM environments WHERE tenant_id = \(ids.tenant) AND id = \(ids.environment)"
        ).single(PostgresJSONB.self)
        return EnvironmentSettings(stored: json.object)
    }

    static let keyColumns: StaticString =
        "kid, alg, state, created_at, activate_at, activated_at, retiring_at, retired_at, revoked_at, public_jwk"

    static func keyRecord(_ row: PostgresRow) throws -> KeyRecord {
        let (kid, alg, state, createdAt, activateAt, activatedAt, retiringAt, retiredAt, revokedAt, jwk) = try row.decode(
            (String, String, String, Date, Date?, Date?, Date?, Date?, Date?, PostgresJSONB?).self
        )
        return KeyRecord(
            kid: kid,
            alg: alg,
            state: KeyState(rawValue: state) ?? .revoked,
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
