import Foundation
public import GatehouseCore
import HTTPTypes
public import Hummingbird
import NIOCore

/// The admin API under `/admin/v1` (contract section 5): tenants, environments, users,
/// imports, keys, revocations and the audit log, behind `Authorization: Bearer <admin key>`.
/// Answers are exact JSON (``AdminJSON``), the same the command line prints.
public struct AdminController: Sendable {
    let admin: AdminService
    let adminKeys: AdminKeyStore

    /// The largest import body: 100,000 users with Django hashes are about 20 MB.
    public static let maximumImportSize = 256 * 1024 * 1024

    /// What an import body may be labelled: JSON lines under any of their names.
    static let importMediaTypes: Set<String> = ["application/x-ndjson", "application/jsonl", "application/json", "text/plain"]

    /// - Parameters:
    ///   - admin: the operations.
    ///   - adminKeys: checks the callers' keys.
    public init(admin: AdminService, adminKeys: AdminKeyStore) {
        self.admin = admin
        self.adminKeys = adminKeys
    }

    /// Adds the routes to `router`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        let api = router.group("admin/v1").add(middleware: NoStoreMiddleware())
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
            guard let mode = AdminService.RotationMode(rawValue: modeName) else {
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

    /// The caller, from `Authorization: Bearer <admin key>`; 401 without a valid key, and 403
    /// for a tenant-scoped key on another tenant's path, before the body is read.
    private func actor(_ request: Request, _ context: some RequestContext) async throws -> AdminActor {
        let actor = try await self.authenticate(request)
        if context.parameters.get("tenant") != nil {
            try await self.admin.checkReach(tenant: try Self.parameter(context, "tenant"), actor: actor)
        }
        return actor
    }

    private func authenticate(_ request: Request) async throws -> AdminActor {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            let actor = try await self.adminKeys.authenticate(String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces))
        else {
            throw APIError(
                .unauthorized,
                code: "not_authenticated",
                detail: "A valid admin key is required.",
                headers: [.wwwAuthenticate: "Bearer realm=\"admin\""]
            )
        }
        return actor
    }

    private static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try AdminJSON.encode(value)))
        )
    }

    private static func parameter(_ context: some RequestContext, _ name: String) throws -> String {
        guard let value = context.parameters.get(name) else { throw AdminError.notFound(name) }
        return try Self.storable(value, name)
    }

    private static func query(_ request: Request, _ name: String) throws -> String? {
        try request.uri.queryParameters.get(name).map { try Self.storable($0, name) }
    }

    /// `value`, unless it holds a character PostgreSQL cannot store: then a 400 naming it.
    private static func storable(_ value: String, _ name: String) throws -> String {
        guard !value.containsNUL else { throw AdminError.invalid(field: name, reason: "must not contain NUL characters") }
        return value
    }

    private static func integer(_ request: Request, _ name: String) throws -> Int? {
        guard let text = try self.query(request, name) else { return nil }
        guard let value = Int(text) else { throw AdminError.invalid(field: name, reason: "must be a whole number") }
        return value
    }

    private static func limit(_ request: Request) throws -> Int? {
        try self.integer(request, "limit")
    }
}
