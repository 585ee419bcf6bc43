import Foundation
import GatehouseCore
import Hummingbird

/// `/tenants/{tenant}/users`: create, list, import, read, change and delete users.
struct AdminUserRoutes<Context: AdminRequestContext>: Sendable {
    let admin: AdminService

    /// The largest import body: 100,000 users with Django hashes are about 20 MB.
    static var maximumImportSize: Int { 256 * 1024 * 1024 }

    /// What an import body may be labelled: JSON lines under any of their names.
    static var importMediaTypes: Set<String> { ["application/x-ndjson", "application/jsonl", "application/json", "text/plain"] }

    var collection: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.post("tenants/:tenant/users", use: self.create)
        routes.get("tenants/:tenant/users", use: self.list)
        routes.post("tenants/:tenant/users/import", use: self.importUsers)
        routes.get("tenants/:tenant/users/:user", use: self.read)
        routes.patch("tenants/:tenant/users/:user", use: self.update)
        routes.delete("tenants/:tenant/users/:user", use: self.delete)
        return routes
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        let body = try await AdminRequestBody.read(request, allowed: ["username", "password", "role", "claims", "is_active"])
        let user = try await self.admin.createUser(
            tenant: try AdminHTTP.parameter(context, "tenant"),
            username: try body.requiredString("username"),
            password: try body.requiredString("password"),
            role: try body.string("role"),
            claims: try body.object("claims"),
            isActive: try body.bool("is_active"),
            actor: try context.actor()
        )
        return try AdminHTTP.json(user, status: .created)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        try AdminHTTP.json(
            try await self.admin.listUsers(
                tenant: try AdminHTTP.parameter(context, "tenant"),
                username: try AdminHTTP.query(request, "username"),
                cursor: try AdminHTTP.query(request, "cursor"),
                limit: try AdminHTTP.limit(request),
                actor: try context.actor()
            )
        )
    }

    @Sendable func importUsers(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType.map(Self.importMediaTypes.contains) ?? true else {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", detail: "An import takes JSON lines (application/x-ndjson).")
        }
        let batchSize = try AdminHTTP.integer(request, "batch_size") ?? 1000
        let body = try await request.collectBody(upTo: Self.maximumImportSize)
        let report = try await self.admin.importUsers(
            tenant: try AdminHTTP.parameter(context, "tenant"),
            jsonLines: Data(body.readableBytesView),
            batchSize: batchSize,
            actor: try context.actor()
        )
        return try AdminHTTP.json(report)
    }

    @Sendable func read(_ request: Request, context: Context) async throws -> Response {
        try AdminHTTP.json(
            try await self.admin.getUser(
                tenant: try AdminHTTP.parameter(context, "tenant"),
                id: try AdminHTTP.parameter(context, "user"),
                actor: try context.actor()
            )
        )
    }

    @Sendable func update(_ request: Request, context: Context) async throws -> Response {
        let body = try await AdminRequestBody.read(request, allowed: ["password", "is_active", "role", "claims"])
        let changes = AdminService.UserChanges(
            password: try body.string("password"),
            isActive: try body.bool("is_active"),
            role: try body.string("role"),
            claims: try body.object("claims")
        )
        return try AdminHTTP.json(
            try await self.admin.updateUser(
                tenant: try AdminHTTP.parameter(context, "tenant"),
                id: try AdminHTTP.parameter(context, "user"),
                changes: changes,
                actor: try context.actor()
            )
        )
    }

    @Sendable func delete(_ request: Request, context: Context) async throws -> Response {
        try await self.admin.deleteUser(
            tenant: try AdminHTTP.parameter(context, "tenant"),
            id: try AdminHTTP.parameter(context, "user"),
            actor: try context.actor()
        )
        return Response(status: .noContent)
    }
}
