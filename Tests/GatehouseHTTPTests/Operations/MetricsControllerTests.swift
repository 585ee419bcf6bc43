import Foundation
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import Testing

/// `/metrics`: Prometheus text with requests per route template and status, and the
/// requests in flight.
@Suite(.timeLimit(.minutes(5))) struct MetricsControllerTests {
    @Test func requestsAreCountedByRouteTemplateAndStatus() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.test { api in
                let (access, _) = try await api.login()
                _ = try await api.post("/api/token/verify/", json: ["token": .string(access)])
                _ = try await api.post("/api/token/verify/", json: ["token": "garbage"])
                var root = api
                root.base = ""
                _ = try await root.send(.get, "/no/such/path")
                let answer = try await root.send(.get, "/metrics")
                #expect(answer.status == .ok && answer.headers[.contentType]?.hasPrefix("text/plain") == true)
                let text = try #require(answer["raw"])
                // Whole lines: "} 1" must not also match a count of 10 to 19.
                let lines = Set(text.split(separator: "\n").map(String.init))
                #expect(lines.contains(#"gatehouse_http_requests_total{method="POST",route="/t/{tenant}/{environment}/api/token",status="200"} 1"#))
                #expect(
                    lines.contains(#"gatehouse_http_requests_total{method="POST",route="/t/{tenant}/{environment}/api/token/verify",status="200"} 1"#)
                )
                #expect(
                    lines.contains(#"gatehouse_http_requests_total{method="POST",route="/t/{tenant}/{environment}/api/token/verify",status="401"} 1"#)
                )
                #expect(lines.contains { $0.hasPrefix("gatehouse_http_requests_total{") && $0.hasSuffix(#"status="404"} 1"#) })
                #expect(!text.contains("/no/such/path"))
                #expect(text.contains("gatehouse_http_request_duration_seconds_bucket"))
                // Only the /metrics request itself is being answered.
                #expect(PrometheusText.value(of: "gatehouse_http_requests_in_flight", in: text) == 1)
                // Labels are templates: no tenant, environment or token in them.
                #expect(!text.contains("demo") && !text.contains(access))
            }
        }
    }
}
