public import Prometheus
import Synchronization

/// Requests counted and timed per method, route and status, in a Prometheus registry that
/// `/metrics` shows: `gatehouse_http_requests_total` and
/// `gatehouse_http_request_duration_seconds`.
public final class RequestMetrics: Sendable {
    /// The registry `/metrics` emits.
    public let registry: PrometheusCollectorRegistry

    private struct Series: Sendable {
        let requests: Counter
        let duration: DurationHistogram
    }

    /// One series per method, route and status, made on first use.
    private let series = Mutex<[String: Series]>([:])

    private static var requestsName: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "gatehouse",
            subsystem: "http",
            metricName: "requests",
            unitName: "total",
            helpText: "HTTP requests answered, by method, route template and status."
        )
    }
    private static var durationName: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "gatehouse",
            subsystem: "http",
            metricName: "request_duration",
            unitName: "seconds",
            helpText: "Time from the request to its answer, by method, route template and status."
        )
    }
    private static let buckets: [Duration] = [
        .microseconds(250), .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500),
        .seconds(2), .seconds(10),
    ]

    /// - Parameter registry: where the series are kept.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    func record(method: String, route: String, status: Int, duration: Duration) {
        let key = "\(method) \(route) \(status)"
        let series = self.series.withLock { series in
            if let existing = series[key] { return existing }
            let labels = [("method", method), ("route", route), ("status", String(status))]
            let made = Series(
                requests: self.registry.makeCounter(descriptor: Self.requestsName, labels: labels),
                duration: self.registry.makeDurationHistogram(descriptor: Self.durationName, labels: labels, buckets: Self.buckets)
            )
            series[key] = made
            return made
        }
        series.requests.increment()
        series.duration.record(duration)
    }
}
