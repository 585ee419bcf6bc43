public import Foundation
import GatehousePostgres

extension AdminService {
    /// How a rotation brings in the new key.
    public enum RotationMode: String, Sendable, CaseIterable {
        /// The new key signs at once; the old active key becomes `retiring`.
        case immediate
        /// The new key is published as `next`, activated later by ``activateKey(tenant:environment:kid:actor:)``
        /// or at `activate_at`.
        case staged
    }

    /// The keys of an environment, every state, newest first.
    public func listKeys(tenant: String, environment: String, actor: AdminActor) async throws -> Page<KeyRecord> {
        try await self.database.withConnection { connection in
            let tenantID = try await self.tenantID(tenant, actor: actor, on: connection)
            let environmentID = try await self.environmentID(tenantID: tenantID, slug: environment, on: connection)
            let rows = try await connection.query(
                """
                SELECT \(unsafeSQL: Self.keyColumns) FROM signing_keys
                WHERE tenant_id = \(tenantID) AND environment_id = \(environmentID) ORDER BY created_at DESC, kid
                """
            )
            return Page(items: try rows.map(Self.keyRecord), nextCursor: nil)
        }
    }

    /// Rotates an environment's key ring.
    /// - Parameters:
    ///   - algorithm: the new key's algorithm; default the environment's `algorithm` setting.
    ///   - activateAt: for a staged key, when the scheduler should activate it.
    /// - Throws: ``AdminError/conflict(_:)`` for a staged rotation while another key is staged.
    public func rotateKeys(
        tenant: String,
        environment: String,
        mode: RotationMode,
        algorithm: SigningAlgorithm?,
        activateAt: Date?,
        actor: AdminActor
    ) async throws -> KeyRotation {
        if activateAt != nil, mode == .immediate {
            throw AdminError.invalid(field: "activate_at", reason: "only a staged rotation can be activated later")
        }
        let (rotation, tenantID) = try await self.keyChange(tenant: tenant, environment: environment, actor: actor) { connection, ids in
            // The database's clock, the one the scheduler activates by.
            if let activateAt, try await !connection.query("SELECT \(activateAt) > clock_timestamp()").single(Bool.self) {
                throw AdminError.invalid(field: "activate_at", reason: "must be in the future")
            }
            let newAlgorithm: SigningAlgorithm
            if let algorithm {
                newAlgorithm = algorithm
            } else {
                newAlgorithm = try await self.settings(of: ids, on: connection).algorithm
            }
            let states = try await self.keyStates(ids, on: connection)
            try await self.checkRoom(ids, on: connection)
            switch mode {
            case .immediate:
                try await KeyStore.retireActive(on: connection, tenantID: ids.tenant, environmentID: ids.environment)
                let kid = try await self.keyStore().createKey(
                    on: connection,
                    tenantID: ids.tenant,
                    environmentID: ids.environment,
                    algorithm: newAlgorithm,
                    state: .active
                )
                return (kid, ["mode": "immediate", "alg": .string(newAlgorithm.rawValue), "retiring": states.active.map(JSONValue.string) ?? .null])
            case .staged:
                if let staged = states.next {
                    throw AdminError.conflict("key \(staged) is already staged as next: activate or retire it first")
                }
                let kid = try await self.keyStore().createKey(
                    on: connection,
                    tenantID: ids.tenant,
                    environmentID: ids.environment,
                    algorithm: newAlgorithm,
                    state: .next
                )
                if let activateAt {
                    try await connection.query("UPDATE signing_keys SET activate_at = \(activateAt) WHERE tenant_id = \(ids.tenant) AND kid = \(kid)")
                }
                return (kid, ["mode": "staged", "alg": .string(newAlgorithm.rawValue)])
            }
        } record: { connection, ids in
            try await self.rotation(ids, on: connection)
        }
        self.realmsChanged(tenantID)
        return rotation
    }

    /// `next` → `active`; the active key becomes `retiring`. Activating the active key again
    /// changes nothing (safe to retry).
    public func activateKey(tenant: String, environment: String, kid: String, actor: AdminActor) async throws -> KeyRecord {
        try await self.transition(tenant: tenant, environment: environment, kid: kid, action: "key.activate", actor: actor) {
            connection,
            ids,
            state in
            switch state {
            case .active: return false
            case .next:
                try await KeyStore.activate(on: connection, tenantID: ids.tenant, environmentID: ids.environment, kid: kid)
                return true
            default: throw AdminError.conflict("key \(kid) is \(state.rawValue): only a next key can be activated")
            }
        }
    }

    /// `next` or `retiring` → `retired`: it stops verifying and leaves the JWKS now. The
    /// active key cannot be retired (rotate first); retiring a retired key changes nothing.
    public func retireKey(tenant: String, environment: String, kid: String, actor: AdminActor) async throws -> KeyRecord {
        try await self.transition(tenant: tenant, environment: environment, kid: kid, action: "key.retire", actor: actor) { connection, ids, state in
            switch state {
            case .retired: return false
            case .next, .retiring:
                try await connection.query(
                    "UPDATE signing_keys SET state = 'retired', retired_at = now() WHERE tenant_id = \(ids.tenant) AND kid = \(kid)"
                )
                return true
            case .active: throw AdminError.conflict("key \(kid) is active: rotate first, then retire it")
            case .revoked: throw AdminError.conflict("key \(kid) is revoked")
            }
        }
    }

    /// Any state → `revoked`: tokens it signed stop verifying at once and its outstanding
    /// refresh tokens are blacklisted. Revoking the active key puts a freshly generated one
    /// in its place in the same transaction. Revoking a revoked key changes nothing.
    public func revokeKey(tenant: String, environment: String, kid: String, actor: AdminActor) async throws -> KeyRecord {
        try await self.transition(tenant: tenant, environment: environment, kid: kid, action: "key.revoke", actor: actor) { connection, ids, state in
            guard state != .revoked else { return false }
            try await connection.query(
                "UPDATE signing_keys SET state = 'revoked', revoked_at = now() WHERE tenant_id = \(ids.tenant) AND kid = \(kid)"
            )
            try await connection.query(
                """
                UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = 'key_revoked'
                WHERE tenant_id = \(ids.tenant) AND kid = \(kid) AND revoked_at IS NULL
                """
            )
            if state == .active {
                try await self.keyStore().createKey(
                    on: connection,
                    tenantID: ids.tenant,
                    environmentID: ids.environment,
                    algorithm: try await self.settings(of: ids, on: connection).algorithm,
                    state: .active
                )
            }
            return true
        }
    }

    // MARK: - Shared

    struct EnvironmentIDs {
        var tenant: UUID
        var environment: UUID
    }

    /// Runs a key change in a transaction that holds the environment's row lock, so key
    /// changes of one environment happen one at a time; records it and reads the result.
    func keyChange<Result>(
        tenant: String,
        environment: String,
        actor: AdminActor,
        change: (PostgresConnection, EnvironmentIDs) async throws -> (kid: String, details: [String: JSONValue]),
        record: (PostgresConnection, EnvironmentIDs) async throws -> Result
    ) async throws -> (Result, UUID) {
        try await self.database.withTransaction { connection in
            let tenantID = try await self.tenantID(tenant, actor: actor, on: connection)
            let environmentID = try await self.environmentID(tenantID: tenantID, slug: environment, on: connection)
            try await KeyStore.lockRing(on: connection, tenantID: tenantID, environmentID: environmentID)
            let ids = EnvironmentIDs(tenant: tenantID, environment: environmentID)
            let (kid, details) = try await change(connection, ids)
            var recorded = details
            recorded["environment"] = .string(environment)
            try await self.audit.record(on: connection, actor: actor, tenantID: tenantID, action: "key.rotate", target: kid, details: recorded)
            return (try await record(connection, ids), tenantID)
        }
    }

    /// A state change of one key: `apply` returns whether anything changed (nothing is
    /// recorded when the key was already where it was asked to go).
    func transition(
        tenant: String,
        environment: String,
        kid: String,
        action: String,
        actor: AdminActor,
        apply: (PostgresConnection, EnvironmentIDs, KeyState) async throws -> Bool
    ) async throws -> KeyRecord {
        let (record, tenantID, changed) = try await self.database.withTransaction { connection in
            let tenantID = try await self.tenantID(tenant, actor: actor, on: connection)
            let environmentID = try await self.environmentID(tenantID: tenantID, slug: environment, on: connection)
            try await KeyStore.lockRing(on: connection, tenantID: tenantID, environmentID: environmentID)
            let ids = EnvironmentIDs(tenant: tenantID, environment: environmentID)
            let before = try await self.key(ids, kid: kid, on: connection)
            let changed = try await apply(connection, ids, before.state)
            let after = try await self.key(ids, kid: kid, on: connection)
            if changed {
                try await self.audit.record(
                    on: connection,
                    actor: actor,
                    tenantID: tenantID,
                    action: action,
                    target: kid,
                    details: ["environment": .string(environment), "from": .string(before.state.rawValue), "to": .string(after.state.rawValue)]
                )
            }
            return (after, tenantID, changed)
        }
        if changed { self.realmsChanged(tenantID) }
        return record
    }
}
