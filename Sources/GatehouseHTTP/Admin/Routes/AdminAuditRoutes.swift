import GatehouseCore
import Hummingbird

/// `/audit`: the audit log, newest first, filtered by tenant, instant and action.
struct AdminAuditRoutes<Context: AdminRequestContext>: Sendable {
    let admin: AdminService

    var collection: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("audit", use: self.list)
        return routes
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        try AdminHTTP.json(
            try await self.admin.listAudit(
                tenant: try AdminHTTP.query(request, "tenant"),
                since: try AdminHTTP.date(try AdminHTTP.query(request, "since"), "since"),
                action: try AdminHTTP.query(request, "action"),
                cursor: try AdminHTTP.query(request, "cursor"),
                limit: try AdminHTTP.limit(request),
                actor: try context.actor()
            )
        )
    }
}
