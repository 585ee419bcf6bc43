import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import NIOCore

extension AdminController {
    /// Tenants and their environments.
    func registerTenants<Context: RequestContext>(on api: RouterGroup<Context>) {
        api.post("tenants") { request, context in
            let actor = try await self.actor(request, context)
            let body = try await AdminRequestBody.read(request, allowed: ["slug", "name", "environments"])
            let tenant = try await self.admin.createTenant(
                slug: try body.requiredString("slug"),
                name: try body.string("name"),
                environments: try body.strings("environments"),
                actor: actor
            )
            return try Self.json(tenant, status: .created)
        }
        api.get("tenants") { request, context in
            let actor = try await self.actor(request, context)
            return try Self.json(
                try await self.admin.listTenants(cursor: try Self.query(request, "cursor"), limit: try Self.limit(request), actor: actor)
            )
        }
        api.get("tenants/:tenant") { request, context in
            try Self.json(try await self.admin.getTenant(try Self.parameter(context, "tenant"), actor: try await self.actor(request, context)))
        }
        api.patch("tenants/:tenant") { request, context in
            let actor = try await self.actor(request, context)
            let body = try await AdminRequestBody.read(request, allowed: ["name"])
            return try Self.json(
                try await self.admin.updateTenant(try Self.parameter(context, "tenant"), name: try body.string("name"), actor: actor)
            )
        }
        api.delete("tenants/:tenant") { request, context in
            try await self.admin.deleteTenant(try Self.parameter(context, "tenant"), actor: try await self.actor(request, context))
            return Response(status: .noContent)
        }

        api.post("tenants/:tenant/environments") { request, context in
            let actor = try await self.actor(request, context)
            let body = try await AdminRequestBody.read(request, allowed: ["slug", "settings"])
            let environment = try await self.admin.createEnvironment(
                tenant: try Self.parameter(context, "tenant"),
                slug: try body.requiredString("slug"),
                settings: try body.object("settings") ?? [:],
                actor: actor
            )
            return try Self.json(environment, status: .created)
        }
        api.get("tenants/:tenant/environments") { request, context in
            try Self.json(
                try await self.admin.listEnvironments(tenant: try Self.parameter(context, "tenant"), actor: try await self.actor(request, context))
            )
        }
        api.get("tenants/:tenant/environments/:environment") { request, context in
            try Self.json(
                try await self.admin.getEnvironment(
                    tenant: try Self.parameter(context, "tenant"),
                    slug: try Self.parameter(context, "environment"),
                    actor: try await self.actor(request, context)
                )
            )
        }
        api.patch("tenants/:tenant/environments/:environment") { request, context in
            let actor = try await self.actor(request, context)
            let body = try await AdminRequestBody.read(request, allowed: ["settings"])
            guard let settings = try body.object("settings") else { throw AdminError.invalid(field: "settings", reason: "is required") }
            return try Self.json(
                try await self.admin.updateEnvironment(
                    tenant: try Self.parameter(context, "tenant"),
                    slug: try Self.parameter(context, "environment"),
                    settings: settings,
                    actor: actor
                )
            )
        }

        api.delete("tenants/:tenant/environments/:environment") { request, context in
            try await self.admin.deleteEnvironment(
                tenant: try Self.parameter(context, "tenant"),
                slug: try Self.parameter(context, "environment"),
                actor: try await self.actor(request, context)
            )
            return Response(status: .noContent)
        }
    }
}
