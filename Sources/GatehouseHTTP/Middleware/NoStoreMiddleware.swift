import HTTPTypes
public import Hummingbird

/// Marks answers as never to be stored by a cache (RFC 6749 §5.1, contract section 7):
/// `Cache-Control: no-store` and `Pragma: no-cache` on every answer of the routes it
/// guards, so that no token or account detail outlives the
/// exchange in a shared or browser cache.
public struct NoStoreMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.cacheControl] = "no-store"
        response.headers[.pragma] = "no-cache"
        return response
    }
}

extension HTTPField.Name {
    /// `Pragma` (RFC 9111 §5.4), which HTTP/1.0 caches read instead of `Cache-Control`.
    static let pragma = HTTPField.Name("Pragma")!
}
