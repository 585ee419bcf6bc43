import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

/// Throttles across real `gatehouse serve` processes on one PostgreSQL: together they admit
/// the configured rate, not once per instance.
@Suite(.timeLimit(.minutes(5))) struct SharedThrottleProcessTests {
    @Test(.timeLimit(.minutes(3)))
    func twoInstancesAdmitTheRateOnceBetweenThem() async throws {
        let deployment = try await ManyInstancesTests.bootstrap(url: try await TestPostgres.makeDatabase())
        let a = try await GatehouseServer.start(environment: deployment.environment)
        defer { a.kill() }
        let b = try await GatehouseServer.start(environment: deployment.environment)
        defer { b.kill() }
        let (access, _) = try await ManyInstancesTests.login(a)
        // A day-long window, so that no window ends during the test.
        let settings = try await a.curl(
            "PATCH",
            "/admin/v1/tenants/demo/environments/prod",
            body: ["settings": ["throttle_anon": "40/day"]],
            bearer: deployment.adminKey
        )
        #expect(settings.status == 200, "\(settings.body)")
        // Both instances must see the new rate before counting starts.
        for server in [a, b] {
            try await eventually {
                let discovery = try await server.curl("GET", "/t/demo/prod/.well-known/openid-configuration")
                let verify = try await server.curl("POST", "/t/demo/prod/api/token/verify/", body: ["token": .string(access)])
                return discovery.status == 200 && verify.status == 200
            }
        }
        var statuses: [Int: Int] = [:]
        for index in 0..<100 {
            let server = index % 2 == 0 ? a : b
            statuses[try await server.curl("POST", "/t/demo/prod/api/token/verify/", body: ["token": .string(access)]).status, default: 0] += 1
        }
        // 40 a day, two of which the warm-up spent: the instances together admit at most 38
        // more (at most 10 % over while counts are in flight), and not much less.
        let admitted = statuses[200, default: 0]
        #expect(admitted <= 38 + 4, "\(statuses)")
        #expect(admitted >= 30, "\(statuses)")
        #expect(statuses[200, default: 0] + statuses[429, default: 0] == 100, "\(statuses)")
    }
}
