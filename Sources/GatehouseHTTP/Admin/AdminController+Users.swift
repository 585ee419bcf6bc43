import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import NIOCore

extension AdminController {
    /// Users, one at a time and by import.
    func registerUsers<Context: RequestContext>(on api: RouterGroup<Context>) {
        api.post("tenants/:tenant/users") { request, context in
            let actor = try await self.actor(request, context)
            let body = try await AdminRequestBody.read(request, allowed: ["username", "password", "role", "claims", "is_active"])
            let user = try await self.admin.createUser(
                tenant: try Self.parameter(context, "tenant"),
                username: try body.requiredString("username"),
                password: try body.requiredString("password"),
                role: try body.string("role"),
                claims: try body.object("claims"),
                isActive: try body.bool("is_active"),
                actor: actor
            )
            return try Self.json(user, status: .created)
        }
        api.get("tenants/:tenant/users") { request, context in
            try Self.json(
                try await self.admin.listUsers(
                    tenant: try Self.parameter(context, "tenant"),
                    username: try Self.query(request, "username"),
                    cursor: try Self.query(request, "cursor"),
                    limit: try Self.limit(request),
                    actor: try await self.actor(request, context)
                )
            )
        }
        api.post("tenants/:tenant/users/import") { request, context in
            let actor = try await self.actor(request, context)
            var request = request
            let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
            guard mediaType == nil || Self.importMediaTypes.contains(mediaType!) else {
                throw APIError(.unsupportedMediaType, code: "unsupported_media_type", detail: "An import takes JSON lines (application/x-ndjson).")
            }
            let batchSize = try Self.integer(request, "batch_size") ?? 1000
            let body = try await request.collectBody(upTo: Self.maximumImportSize)
            let report = try await self.admin.importUsers(
                tenant: try Self.parameter(context, "tenant"),
                jsonLines: Data(body.readableBytesView),
                batchSize: batchSize,
                actor: actor
            )
            return try Self.json(report)
        }
        api.get("tenants/:tenant/users/:user") { request, context in
            try Self.json(
                try await self.admin.getUser(
                    tenant: try Self.parameter(context, "tenant"),
                    id: try Self.parameter(context, "user"),
                    actor: try await self.actor(request, context)
                )
            )
        }
        api.patch("tenants/:tenant/users/:user") { request, context in
            let actor = try await self.actor(request, context)
            let body = try await AdminRequestBody.read(request, allowed: ["password", "is_active", "role", "claims"])
            let changes = AdminService.UserChanges(
                password: try body.string("password"),
                isActive: try body.bool("is_active"),
                role: try body.string("role"),
                claims: try body.object("claims")
            )
            return try Self.json(
                try await self.admin.updateUser(
                    tenant: try Self.parameter(context, "tenant"),
                    id: try Self.parameter(context, "user"),
                    changes: changes,
                    actor: actor
                )
            )
        }
        api.delete("tenants/:tenant/users/:user") { request, context in
            try await self.admin.deleteUser(
                tenant: try Self.parameter(context, "tenant"),
                id: try Self.parameter(context, "user"),
                actor: try await self.actor(request, context)
            )
            return Response(status: .noContent)
        }
    }
}
