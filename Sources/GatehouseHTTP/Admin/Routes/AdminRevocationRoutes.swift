import GatehouseCore
import Hummingbird

/// `/tenants/{tenant}/revocations`: revoke the tokens of some users, or of all.
struct AdminRevocationRoutes<Context: AdminRequestContext>: Sendable {
    let admin: AdminService

    var collection: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.post("tenants/:tenant/revocations", use: self.revoke)
        return routes
    }

    @Sendable func revoke(_ request: Request, context: Context) async throws -> Response {
        let body = try await AdminRequestBody.read(
            request,
            allowed: ["user_ids", "usernames", "all_users", "environment"],
            maximumSize: AdminRequestBody.maximumRevocationSize
        )
        let chosen = ["user_ids", "usernames", "all_users"].filter(body.has)
        guard chosen.count == 1 else {
            throw AdminError.invalid(field: "user_ids", reason: "give exactly one of user_ids, usernames and all_users")
        }
        let target: AdminService.RevocationTarget
        switch chosen[0] {
        case "user_ids": target = .userIDs(try body.strings("user_ids") ?? [])
        case "usernames": target = .usernames(try body.strings("usernames") ?? [])
        default:
            guard try body.bool("all_users") == true else { throw AdminError.invalid(field: "all_users", reason: "must be true") }
            target = .allUsers
        }
        return try AdminHTTP.json(
            try await self.admin.revoke(
                tenant: try AdminHTTP.parameter(context, "tenant"),
                target: target,
                environment: try body.string("environment"),
                actor: try context.actor()
            )
        )
    }
}
