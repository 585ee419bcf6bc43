import HTTPTypes
public import Hummingbird

/// Counts and times every request in ``RequestMetrics``, labelled by its route template
/// (`/t/{tenant}/{environment}/api/token`), never by the raw path, so the number of series
/// stays bounded whatever clients send.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: RequestMetrics

    /// - Parameter metrics: where to record.
    public init(metrics: RequestMetrics) {
        self.metrics = metrics
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            self.record(request, context, status: response.status.code, since: started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            self.record(request, context, status: status, since: started)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, since started: ContinuousClock.Instant) {
        let route = context.endpointPath.map(Self.template) ?? "unmatched"
        self.metrics.record(method: request.method.rawValue, route: route, status: status, duration: ContinuousClock.now - started)
    }

    /// `/t/:tenant/...` → `/t/{tenant}/...`, as the OpenAPI document names routes.
    static func template(_ path: String) -> String {
        path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.reduce("") { $0 + "/" + $1 }
    }
}
