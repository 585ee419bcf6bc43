import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import NIOCore

extension AdminController {
    /// Bulk revocations and the audit log.
    func registerRevocationsAndAudit<Context: RequestContext>(on api: RouterGroup<Context>) {
        api.post("tenants/:tenant/revocations") { request, context in
            let actor = try await self.actor(request, context)
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
            return try Self.json(
                try await self.admin.revoke(
                    tenant: try Self.parameter(context, "tenant"),
                    target: target,
                    environment: try body.string("environment"),
                    actor: actor
                )
            )
        }

        api.get("audit") { request, context in
            let actor = try await self.actor(request, context)
            var since: Date?
            if let text = try Self.query(request, "since") {
                guard let date = AdminJSON.parseDate(text) else { throw AdminError.invalid(field: "since", reason: "must be an RFC 3339 instant") }
                since = date
            }
            return try Self.json(
                try await self.admin.listAudit(
                    tenant: try Self.query(request, "tenant"),
                    since: since,
                    action: try Self.query(request, "action"),
                    cursor: try Self.query(request, "cursor"),
                    limit: try Self.limit(request),
                    actor: actor
                )
            )
        }
    }
}
