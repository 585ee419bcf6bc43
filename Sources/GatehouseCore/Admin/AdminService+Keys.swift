public import Foundation
import GatehousePostgres

/// The key operations: each loads the environment's ``KeyLifecycle`` under the ring's lock,
/// hands it one event, runs what it decides and records it.
extension AdminService {
    /// The keys of an environment, every state, newest first.
    public func listKeys(tenant: String, environment: String, actor: AdminActor) async throws -> Page<KeyRecord> {
        try await self.database.withConnection { connection in
            let ids = try await self.environmentIDs(tenant: tenant, environment: environment, actor: actor, on: connection)
            return Page(items: try await self.keys.records(tenantID: ids.tenant, environmentID: ids.environment, on: connection), nextCursor: nil)
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
        mode: KeyLifecycle.RotationMode,
        algorithm: SigningAlgorithm?,
        activateAt: Date?,
        actor: AdminActor
    ) async throws -> KeyRotation {
        try await self.keyEvent(tenant: tenant, environment: environment, actor: actor, .rotate(mode, algorithm: algorithm, activateAt: activateAt)) {
            connection,
            ids,
            before,
            actions in
            guard case .create(let kid, let algorithm, _, _) = actions.last else { throw AdminError.conflict("nothing was rotated") }
            var details: [String: JSONValue] = [
                "mode": .string(mode.rawValue), "alg": .string(algorithm.rawValue), "environment": .string(environment),
            ]
            if mode == .immediate { details["retiring"] = before.active.map { .string($0.kid) } ?? .null }
            try await self.audit.record(on: connection, actor: actor, tenantID: ids.tenant, action: "key.rotate", target: kid, details: details)
            let records = try await self.keys.records(tenantID: ids.tenant, environmentID: ids.environment, on: connection)
            guard let active = records.first(where: { $0.state == .active }) else { throw AdminError.conflict("no active key") }
            return KeyRotation(active: active, next: records.first { $0.state == .next })
        }
    }

    /// `next` → `active`; the active key becomes `retiring`. Activating the active key again
    /// changes nothing (safe to retry).
    public func activateKey(tenant: String, environment: String, kid: String, actor: AdminActor) async throws -> KeyRecord {
        try await self.keyTransition(tenant: tenant, environment: environment, kid: kid, .activate(kid: kid), action: "key.activate", actor: actor)
    }

    /// `next` or `retiring` → `retired`: it stops verifying and leaves the JWKS now. The
    /// active key cannot be retired (rotate first); retiring a retired key changes nothing.
    public func retireKey(tenant: String, environment: String, kid: String, actor: AdminActor) async throws -> KeyRecord {
        try await self.keyTransition(tenant: tenant, environment: environment, kid: kid, .retire(kid: kid), action: "key.retire", actor: actor)
    }

    /// Any state → `revoked`: tokens it signed stop verifying at once and its outstanding
    /// refresh tokens are blacklisted. Revoking the active key puts a freshly generated one
    /// in its place in the same transaction. Revoking a revoked key changes nothing.
    public func revokeKey(tenant: String, environment: String, kid: String, actor: AdminActor) async throws -> KeyRecord {
        try await self.keyTransition(tenant: tenant, environment: environment, kid: kid, .revoke(kid: kid), action: "key.revoke", actor: actor)
    }

    // MARK: - Shared

    struct EnvironmentIDs {
        var tenant: UUID
        var environment: UUID
    }

    func environmentIDs(tenant: String, environment: String, actor: AdminActor, on connection: PostgresConnection) async throws -> EnvironmentIDs {
        let tenantID = try await self.tenantID(tenant, actor: actor, on: connection)
        return EnvironmentIDs(tenant: tenantID, environment: try await self.environmentID(tenantID: tenantID, slug: environment, on: connection))
    }

    /// A state change of one key, recorded with where it came from and went, and only when
    /// something changed (nothing when the key was already where it was asked to go).
    private func keyTransition(
        tenant: String,
        environment: String,
        kid: String,
        _ event: KeyLifecycle.Event,
        action: String,
        actor: AdminActor
    ) async throws -> KeyRecord {
        try await self.keyEvent(tenant: tenant, environment: environment, actor: actor, event) { connection, ids, before, actions in
            guard let after = try await self.keys.records(tenantID: ids.tenant, environmentID: ids.environment, kid: kid, on: connection).first else {
                throw AdminError.notFound("key \(kid)")
            }
            if let from = before.keys.first(where: { $0.kid == kid })?.state, !actions.isEmpty {
                try await self.audit.record(
                    on: connection,
                    actor: actor,
                    tenantID: ids.tenant,
                    action: action,
                    target: kid,
                    details: ["environment": .string(environment), "from": .string(from.rawValue), "to": .string(after.state.rawValue)]
                )
            }
            return after
        }
    }

    /// Runs one lifecycle event in a transaction that holds the environment's row lock, so
    /// key changes of one environment happen one at a time; `record` audits it and reads
    /// the answer, given the ring as it was and the actions run.
    private func keyEvent<Result>(
        tenant: String,
        environment: String,
        actor: AdminActor,
        _ event: KeyLifecycle.Event,
        record: (PostgresConnection, EnvironmentIDs, KeyLifecycle, [KeyLifecycle.Action]) async throws -> Result
    ) async throws -> Result {
        let (result, tenantID, changed) = try await self.database.withTransaction { connection in
            let ids = try await self.environmentIDs(tenant: tenant, environment: environment, actor: actor, on: connection)
            try await self.keys.lockRing(tenantID: ids.tenant, environmentID: ids.environment, on: connection)
            let before = try await self.keys.lifecycle(tenantID: ids.tenant, environmentID: ids.environment, on: connection)
            var lifecycle = before
            let actions: [KeyLifecycle.Action]
            do throws(KeyLifecycle.Refusal) {
                actions = try lifecycle.handle(event)
            } catch {
                throw AdminError(error)
            }
            try await self.keys.run(actions, tenantID: ids.tenant, environmentID: ids.environment, on: connection)
            return (try await record(connection, ids, before, actions), ids.tenant, !actions.isEmpty)
        }
        if changed { self.realmsChanged(tenantID) }
        return result
    }
}

extension AdminError {
    /// The admin API's answer to a refused lifecycle event.
    init(_ refusal: KeyLifecycle.Refusal) {
        switch refusal {
        case .unknownKey(let kid): self = .notFound("key \(kid)")
        case .alreadyStaged(let kid): self = .conflict("key \(kid) is already staged as next: activate or retire it first")
        case .notStaged(let kid, let state): self = .conflict("key \(kid) is \(state.rawValue): only a next key can be activated")
        case .stillActive(let kid): self = .conflict("key \(kid) is active: rotate first, then retire it")
        case .revoked(let kid): self = .conflict("key \(kid) is revoked")
        case .activationTime(let reason): self = .invalid(field: "activate_at", reason: reason)
        case .full(let reason): self = .conflict(reason)
        }
    }
}
