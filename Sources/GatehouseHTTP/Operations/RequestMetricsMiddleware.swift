import HTTPTypes
public import Hummingbird
import Prometheus

/// Counts and times every request in ``RequestMetrics``, labelled by its route template
/// (`/t/{tenant}/{environment}/api/token`), never by the raw path, so the number of series
/// stays bounded whatever clients send; and counts it in flight until it is answered.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: RequestMetrics

    /// - Parameter metrics: where to record.
    public init(metrics: RequestMetrics) {
        self.metrics = metrics
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        self.metrics.inFlight.increment()
        defer { self.metrics.inFlight.decrement() }
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
        self.metrics.record(
            RequestMetrics.Key(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: status),
            duration: ContinuousClock.now - started
        )
    }
}
