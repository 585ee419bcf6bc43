import HTTPTypes
public import Hummingbird
import NIOCore
import Prometheus

/// `GET /metrics`: the Prometheus text format.
public struct MetricsController: Sendable {
    let metrics: RequestMetrics

    /// - Parameter metrics: what to show.
    public init(metrics: RequestMetrics) {
        self.metrics = metrics
    }

    /// Adds the route to `router`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: self.metrics.registry.emitToBuffer()))
            )
        }
    }
}
