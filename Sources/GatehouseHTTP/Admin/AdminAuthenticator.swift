import Foundation
public import GatehouseCore
import HTTPTypes
public import Hummingbird

/// Authenticates every admin route: `Authorization: Bearer <admin key>` becomes the admin
/// actor in the request context, or the answer is 401 before the route runs. On a path with
/// a `:tenant`, a tenant-scoped key outside its tenant gets 403 here, in one place, before
/// the body is read; so a new route is authenticated and scoped without doing anything.
public struct AdminAuthenticator<Context: AdminRequestContext>: RouterMiddleware {
    let admin: AdminService

    public init(admin: AdminService) {
        self.admin = admin
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            let actor = try await self.admin.authenticate(apiKey: String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces))
        else { throw Self.unauthenticated }
        if context.parameters.get("tenant") != nil {
            try await self.admin.checkReach(tenant: try AdminHTTP.parameter(context, "tenant"), actor: actor)
        }
        var context = context
        context.adminActor = actor
        return try await next(request, context)
    }

    static var unauthenticated: APIError {
        APIError(
            .unauthorized,
            code: "not_authenticated",
            detail: "A valid admin key is required.",
            headers: [.wwwAuthenticate: "Bearer realm=\"admin\""]
        )
    }
}
