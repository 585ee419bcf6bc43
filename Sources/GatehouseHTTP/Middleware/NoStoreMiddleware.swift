import HTTPTypes
public import Hummingbird

/// Marks answers as never to be stored by a cache (RFC 6749 §5.1, contract section 7):
/// `Cache-Control: no-store` and `Pragma: no-cache` on every answer of the routes it
/// guards (the admin API, whose answers are account details), so that none outlives the
/// exchange in a shared or browser cache. The realm's token answers set the same headers
/// themselves, keeping verify and me free of a middleware.
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
