import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import NIOCore

extension AdminController {
    /// An environment's signing keys: list, rotate, activate, retire, revoke.
    func registerKeys<Context: RequestContext>(on api: RouterGroup<Context>) {
        api.get("tenants/:tenant/environments/:environment/keys") { request, context in
            try Self.json(
                try await self.admin.listKeys(
                    tenant: try Self.parameter(context, "tenant"),
                    environment: try Self.parameter(context, "environment"),
                    actor: try await self.actor(request, context)
                )
            )
        }
        api.post("tenants/:tenant/environments/:environment/keys/rotate") { request, context in
            let actor = try await self.actor(request, context)
            let body = try await AdminRequestBody.read(request, allowed: ["mode", "alg", "activate_at"])
            let modeName = try body.requiredString("mode")
            guard let mode = KeyLifecycle.RotationMode(rawValue: modeName) else {
                throw AdminError.invalid(field: "mode", reason: "must be immediate or staged")
            }
            var algorithm: SigningAlgorithm?
            if let name = try body.string("alg") {
                guard let chosen = SigningAlgorithm(rawValue: name) else {
                    throw AdminError.invalid(field: "alg", reason: "must be one of ES256, EdDSA, RS256, HS256")
                }
                algorithm = chosen
            }
            var activateAt: Date?
            if let text = try body.string("activate_at") {
                guard let date = AdminJSON.parseDate(text) else {
                    throw AdminError.invalid(field: "activate_at", reason: "must be an RFC 3339 instant")
                }
                activateAt = date
            }
            return try Self.json(
                try await self.admin.rotateKeys(
                    tenant: try Self.parameter(context, "tenant"),
                    environment: try Self.parameter(context, "environment"),
                    mode: mode,
                    algorithm: algorithm,
                    activateAt: activateAt,
                    actor: actor
                )
            )
        }
        for (action, operation) in [
            ("activate", AdminService.activateKey), ("retire", AdminService.retireKey), ("revoke", AdminService.revokeKey),
        ] {
            api.post("tenants/:tenant/environments/:environment/keys/:kid/\(action)") { request, context in
                let actor = try await self.actor(request, context)
                return try Self.json(
                    try await operation(self.admin)(
                        try Self.parameter(context, "tenant"),
                        try Self.parameter(context, "environment"),
                        try Self.parameter(context, "kid"),
                        actor
                    )
                )
            }
        }
    }
}
