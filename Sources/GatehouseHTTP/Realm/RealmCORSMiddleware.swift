public import GatehouseCore
import HTTPTypes
public import Hummingbird

/// CORS for the realms (contract section 7, setting `cors_allowed_origins`): a browser page
/// on an allowed origin may call its realm, credentials included; any other origin gets no
/// `Access-Control-Allow-*` header at all. Origins match exactly, never by wildcard or
/// suffix. Only paths under `/t/{tenant}/{env}/` answer CORS; the admin API never does.
///
/// A router middleware, outside the error middleware, so that error answers carry the
/// headers too (a page must be able to read a 401). A request without `Origin` (every
/// server-side client) costs one header lookup.
public struct RealmCORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let realms: RealmDirectory

    /// How long a browser may keep a preflight's answer.
    static var maxAge: Int { 600 }

    public init(realms: RealmDirectory) {
        self.realms = realms
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], let (tenant, environment) = Self.realmPath(request.uri.path) else {
            return try await next(request, context)
        }
        let realm = try? await self.realms.realm(tenant: tenant, environment: environment)
        let allowed = realm?.settings.corsAllowedOrigins.contains(origin) == true
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            guard allowed else { throw APIError(.forbidden, code: "cors_forbidden", detail: "This origin may not call this realm.") }
            var response = Response(status: .noContent)
            Self.allow(origin, on: &response.headers)
            response.headers[.accessControlAllowMethods] = "GET, POST, OPTIONS"
            response.headers[.accessControlAllowHeaders] = "Authorization, Content-Type, X-CSRF-Token"
            response.headers[.accessControlMaxAge] = "\(Self.maxAge)"
            return response
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            guard allowed else { throw error }
            response = try error.response(from: request, context: context)
        }
        if allowed { Self.allow(origin, on: &response.headers) }
        return response
    }

    private static func allow(_ origin: String, on headers: inout HTTPFields) {
        headers[.accessControlAllowOrigin] = origin
        headers[.accessControlAllowCredentials] = "true"
        headers[.vary] = "Origin"
    }

    /// The tenant and environment of a realm path, `/t/{tenant}/{env}/…`.
    static func realmPath(_ path: String) -> (tenant: String, environment: String)? {
        let parts = path.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].isEmpty, parts[1] == "t", !parts[2].isEmpty, !parts[3].isEmpty else { return nil }
        return (String(parts[2]), String(parts[3].split(separator: "/", maxSplits: 1).first ?? parts[3]))
    }
}
