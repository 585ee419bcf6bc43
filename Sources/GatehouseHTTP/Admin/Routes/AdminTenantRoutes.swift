import GatehouseCore
import Hummingbird

/// `/tenants`: create, list, read, rename and delete tenants.
struct AdminTenantRoutes<Context: AdminRequestContext>: Sendable {
    let admin: AdminService

    var collection: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.post("tenants", use: self.create)
        routes.get("tenants", use: self.list)
        routes.get("tenants/:tenant", use: self.read)
        routes.patch("tenants/:tenant", use: self.update)
        routes.delete("tenants/:tenant", use: self.delete)
        return routes
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        let body = try await AdminRequestBody.read(request, allowed: ["slug", "name", "environments"])
        let tenant = try await self.admin.createTenant(
            slug: try body.requiredString("slug"),
            name: try body.string("name"),
            environments: try body.strings("environments"),
            actor: try context.actor()
        )
        return try AdminHTTP.json(tenant, status: .created)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        try AdminHTTP.json(
            try await self.admin.listTenants(
                cursor: try AdminHTTP.query(request, "cursor"),
                limit: try AdminHTTP.limit(request),
                actor: try context.actor()
            )
        )
    }

    @Sendable func read(_ request: Request, context: Context) async throws -> Response {
        try AdminHTTP.json(try await self.admin.getTenant(try AdminHTTP.parameter(context, "tenant"), actor: try context.actor()))
    }

    @Sendable func update(_ request: Request, context: Context) async throws -> Response {
        let body = try await AdminRequestBody.read(request, allowed: ["name"])
        return try AdminHTTP.json(
            try await self.admin.updateTenant(try AdminHTTP.parameter(context, "tenant"), name: try body.string("name"), actor: try context.actor())
        )
    }

    @Sendable func delete(_ request: Request, context: Context) async throws -> Response {
        try await self.admin.deleteTenant(try AdminHTTP.parameter(context, "tenant"), actor: try context.actor())
        return Response(status: .noContent)
    }
}
