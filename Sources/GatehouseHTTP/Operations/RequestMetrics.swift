public import Prometheus
import Synchronization

/// Requests counted and timed per method, route and status, in a Prometheus registry that
/// `/metrics` shows: `gatehouse_http_requests_total` and
/// `gatehouse_http_request_duration_seconds`; and the requests being answered now,
/// `gatehouse_http_requests_in_flight`.
public final class RequestMetrics: Sendable {
    /// The registry `/metrics` emits.
    public let registry: PrometheusCollectorRegistry
    /// Requests received and not answered yet (a `/metrics` request counts itself).
    let inFlight: Gauge

    private struct Series: Sendable {
        let requests: Counter
        let duration: DurationHistogram
    }

    /// What a series is for: the route as the router names it (`/t/:tenant/...`).
    struct Key: Hashable, Sendable {
        var method: String
        var route: String
        var status: Int
    }

    /// One series per method, route and status, made on first use.
    private let series = Mutex<[Key: Series]>([:])

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
    private static var inFlightName: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "gatehouse",
            subsystem: "http",
            metricName: "requests_in_flight",
            helpText: "Requests received and not answered yet; graceful shutdown waits for them."
        )
    }
    private static let buckets: [Duration] = [
        .microseconds(250), .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500),
        .seconds(2), .seconds(10),
    ]

    /// - Parameter registry: where the series are kept.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.inFlight = registry.makeGauge(descriptor: Self.inFlightName)
    }

    /// Counts and times one request. The key holds strings the request already has, so
    /// the common case allocates nothing; labels are made once, with the series.
    func record(_ key: Key, duration: Duration) {
        let series = self.series.withLock { series in
            if let existing = series[key] { return existing }
            let labels = [("method", key.method), ("route", Self.template(key.route)), ("status", String(key.status))]
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

    /// `/t/:tenant/...` → `/t/{tenant}/...`, as the OpenAPI document names routes.
    static func template(_ path: String) -> String {
        path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.reduce("") { $0 + "/" + $1 }
    }
}
