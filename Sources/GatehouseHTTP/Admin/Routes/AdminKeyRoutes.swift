import Foundation
import GatehouseCore
import Hummingbird

/// `/tenants/{tenant}/environments/{environment}/keys`: list, rotate, activate, retire, revoke.
struct AdminKeyRoutes<Context: AdminRequestContext>: Sendable {
    let admin: AdminService

    var collection: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("tenants/:tenant/environments/:environment/keys", use: self.list)
        routes.post("tenants/:tenant/environments/:environment/keys/rotate", use: self.rotate)
        routes.post("tenants/:tenant/environments/:environment/keys/:kid/activate", use: self.activate)
        routes.post("tenants/:tenant/environments/:environment/keys/:kid/retire", use: self.retire)
        routes.post("tenants/:tenant/environments/:environment/keys/:kid/revoke", use: self.revoke)
        return routes
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        try AdminHTTP.json(
            try await self.admin.listKeys(
                tenant: try AdminHTTP.parameter(context, "tenant"),
                environment: try AdminHTTP.parameter(context, "environment"),
                actor: try context.actor()
            )
        )
    }

    @Sendable func rotate(_ request: Request, context: Context) async throws -> Response {
        let body = try await AdminRequestBody.read(request, allowed: ["mode", "alg", "activate_at"])
        guard let mode = KeyLifecycle.RotationMode(rawValue: try body.requiredString("mode")) else {
            throw AdminError.invalid(field: "mode", reason: "must be immediate or staged")
        }
        var algorithm: SigningAlgorithm?
        if let name = try body.string("alg") {
            guard let chosen = SigningAlgorithm(rawValue: name) else {
                throw AdminError.invalid(field: "alg", reason: "must be one of ES256, EdDSA, RS256, HS256")
            }
            algorithm = chosen
        }
        return try AdminHTTP.json(
            try await self.admin.rotateKeys(
                tenant: try AdminHTTP.parameter(context, "tenant"),
                environment: try AdminHTTP.parameter(context, "environment"),
                mode: mode,
                algorithm: algorithm,
                activateAt: try AdminHTTP.date(try body.string("activate_at"), "activate_at"),
                actor: try context.actor()
            )
        )
    }

    @Sendable func activate(_ request: Request, context: Context) async throws -> Response {
        try await self.transition(context, AdminService.activateKey)
    }

    @Sendable func retire(_ request: Request, context: Context) async throws -> Response {
        try await self.transition(context, AdminService.retireKey)
    }

    @Sendable func revoke(_ request: Request, context: Context) async throws -> Response {
        try await self.transition(context, AdminService.revokeKey)
    }

    private func transition(
        _ context: Context,
        _ operation: (AdminService) -> (String, String, String, AdminActor) async throws -> KeyRecord
    ) async throws -> Response {
        try AdminHTTP.json(
            try await operation(self.admin)(
                try AdminHTTP.parameter(context, "tenant"),
                try AdminHTTP.parameter(context, "environment"),
                try AdminHTTP.parameter(context, "kid"),
                try context.actor()
            )
        )
    }
}
