public import Foundation
import GatehousePostgres

extension AdminService {
    /// Audit events, newest first, a page at a time.
    /// - Parameters:
    ///   - tenant: a tenant's slug, or the id of one (deleted tenants keep their events);
    ///     a tenant-scoped actor sees only its own tenant, with or without it.
    ///   - since: only events at or after this instant.
    ///   - action: only this action, e.g. `key.revoke`.
    public func listAudit(
        tenant: String?,
        since: Date?,
        action: String?,
        cursor: String?,
        limit: Int?,
        actor: AdminActor
    ) async throws -> Page<AuditLog.Event> {
        let limit = try Self.pageSize(limit)
        var before: Int64?
        if let key = try Self.decodeCursor(cursor) {
            guard let id = Int64(key) else { throw AdminError.invalid(field: "cursor", reason: "is not a cursor this service gave out") }
            before = id
        }
        return try await self.database.withConnection { connection in
            var tenantID = actor.tenantID
            if let tenant {
                if let id = UUID(uuidString: tenant) {
                    guard actor.reaches(id) else { throw AdminError.forbidden }
                    tenantID = id
                } else {
                    tenantID = try await self.tenantID(tenant, actor: actor, on: connection)
                }
            }
            let events = try await self.audit.list(
                on: connection,
                AuditLog.Filter(tenantID: tenantID, since: since, action: action, before: before, limit: limit + 1)
            )
            let items = Array(events.prefix(limit))
            return Page(items: items, nextCursor: events.count > limit ? items.last.map { Self.cursor(String($0.id)) } : nil)
        }
    }
}
