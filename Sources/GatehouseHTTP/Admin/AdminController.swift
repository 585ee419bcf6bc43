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
    let adminKeys: AdminAPIKeyStore

    /// The largest import body: 100,000 users with Django hashes are about 20 MB.
    public static let maximumImportSize = 256 * 1024 * 1024

    /// What an import body may be labelled: JSON lines under any of their names.
    static let importMediaTypes: Set<String> = ["application/x-ndjson", "application/jsonl", "application/json", "text/plain"]

    /// - Parameters:
    ///   - admin: the operations.
    ///   - adminKeys: checks the callers' keys.
    public init(admin: AdminService, adminKeys: AdminAPIKeyStore) {
        self.admin = admin
        self.adminKeys = adminKeys
    }

    /// Adds the routes to `router`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        let api = router.group("admin/v1").add(middleware: NoStoreMiddleware())
        self.registerTenants(on: api)
        self.registerUsers(on: api)
        self.registerKeys(on: api)
        self.registerRevocationsAndAudit(on: api)
    }

    /// The caller, from `Authorization: Bearer <admin key>`; 401 without a valid key, and 403
    /// for a tenant-scoped key on another tenant's path, before the body is read.
    func actor(_ request: Request, _ context: some RequestContext) async throws -> AdminActor {
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

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try AdminJSON.encode(value)))
        )
    }

    static func parameter(_ context: some RequestContext, _ name: String) throws -> String {
        guard let value = context.parameters.get(name) else { throw AdminError.notFound(name) }
        return try Self.storable(value, name)
    }

    static func query(_ request: Request, _ name: String) throws -> String? {
        try request.uri.queryParameters.get(name).map { try Self.storable($0, name) }
    }

    /// `value`, unless it holds a character PostgreSQL cannot store: then a 400 naming it.
    static func storable(_ value: String, _ name: String) throws -> String {
        guard !value.containsNUL else { throw AdminError.invalid(field: name, reason: "must not contain NUL characters") }
        return value
    }

    static func integer(_ request: Request, _ name: String) throws -> Int? {
        guard let text = try self.query(request, name) else { return nil }
        guard let value = Int(text) else { throw AdminError.invalid(field: name, reason: "must be a whole number") }
        return value
    }

    static func limit(_ request: Request) throws -> Int? {
        try self.integer(request, "limit")
    }
}
