import GatehouseCore
import Hummingbird

/// `/tenants/{tenant}/environments`: create, list, read, change settings of and delete environments.
struct AdminEnvironmentRoutes<Context: AdminRequestContext>: Sendable {
    let admin: AdminService

    var collection: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.post("tenants/:tenant/environments", use: self.create)
        routes.get("tenants/:tenant/environments", use: self.list)
        routes.get("tenants/:tenant/environments/:environment", use: self.read)
        routes.patch("tenants/:tenant/environments/:environment", use: self.update)
        routes.delete("tenants/:tenant/environments/:environment", use: self.delete)
        return routes
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        let body = try await AdminRequestBody.read(request, allowed: ["slug", "settings"])
        let environment = try await self.admin.createEnvironment(
            tenant: try AdminHTTP.parameter(context, "tenant"),
            slug: try body.requiredString("slug"),
            settings: try body.object("settings") ?? [:],
            actor: try context.actor()
        )
        return try AdminHTTP.json(environment, status: .created)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        try AdminHTTP.json(try await self.admin.listEnvironments(tenant: try AdminHTTP.parameter(context, "tenant"), actor: try context.actor()))
    }

    @Sendable func read(_ request: Request, context: Context) async throws -> Response {
        try AdminHTTP.json(
            try await self.admin.getEnvironment(
                tenant: try AdminHTTP.parameter(context, "tenant"),
                slug: try AdminHTTP.parameter(context, "environment"),
                actor: try context.actor()
            )
        )
    }

    @Sendable func update(_ request: Request, context: Context) async throws -> Response {
        let body = try await AdminRequestBody.read(request, allowed: ["settings"])
        guard let settings = try body.object("settings") else { throw AdminError.invalid(field: "settings", reason: "is required") }
        return try AdminHTTP.json(
            try await self.admin.updateEnvironment(
                tenant: try AdminHTTP.parameter(context, "tenant"),
                slug: try AdminHTTP.parameter(context, "environment"),
                settings: settings,
                actor: try context.actor()
            )
        )
    }

    @Sendable func delete(_ request: Request, context: Context) async throws -> Response {
        try await self.admin.deleteEnvironment(
            tenant: try AdminHTTP.parameter(context, "tenant"),
            slug: try AdminHTTP.parameter(context, "environment"),
            actor: try context.actor()
        )
        return Response(status: .noContent)
    }
}
