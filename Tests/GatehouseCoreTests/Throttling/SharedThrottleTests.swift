import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

/// Throttles shared through PostgreSQL: instances together admit the rate once.
@Suite(.timeLimit(.minutes(5))) struct SharedThrottleTests {
    @Test func twoInstancesTogetherAdmitTheRateAndThenRefuseLocally() async throws {
        try await TestDeployment.with { deployment in
            let clock = DatabaseClock()
            try await clock.synchronize(with: deployment.database)
            let instances = [
                SharedThrottle(database: deployment.database, clock: clock), SharedThrottle(database: deployment.database, clock: clock),
            ]
            let tenant = try await deployment.tenantID("demo")
            let rate = try #require(ThrottleRate("50/day"))
            let key = ThrottleKey("anon", "test", "192.0.2.1")
            var admitted = 0
            for index in 0..<200 where await instances[index % 2].admit(key, tenant: tenant, rate: rate) == nil {
                admitted += 1
            }
            // Slices of 5: whatever one instance holds unspent the other cannot use.
            #expect(admitted <= 50)
            #expect(admitted >= 50 - 2 * 4)
            // The shared count says the same; the rows hold a hash, never the address.
            let hits = try await deployment.database.query("SELECT sum(hits)::int8, min(bucket) FROM throttle_counters").single((Int, String).self)
            #expect(hits.0 == 50)
            #expect(hits.1 == key.description && !hits.1.contains("192.0.2.1"))
            // Another key has its own budget.
            #expect(await instances[0].admit(ThrottleKey("anon", "test", "192.0.2.2"), tenant: tenant, rate: rate) == nil)
        }
    }

    @Test func concurrentRequestsOfOneKeyShareOneLeaseAndNeverPassTheRate() async throws {
        try await TestDeployment.with { deployment in
            let clock = DatabaseClock()
            let throttle = SharedThrottle(database: deployment.database, clock: clock)
            let tenant = try await deployment.tenantID("demo")
            let rate = try #require(ThrottleRate("30/day"))
            let key = ThrottleKey("user", "test", "someone")
            let admitted = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<100 { group.addTask { await throttle.admit(key, tenant: tenant, rate: rate) == nil } }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(admitted == 30)
        }
    }

    @Test func aGivenBackRequestIsSpentAgain() async throws {
        try await TestDeployment.with { deployment in
            let throttle = SharedThrottle(database: deployment.database, clock: DatabaseClock())
            let tenant = try await deployment.tenantID("demo")
            let rate = try #require(ThrottleRate("2/day"))
            let key = ThrottleKey("login_user", "test", "alice")
            for _ in 0..<5 {
                #expect(await throttle.admit(key, tenant: tenant, rate: rate) == nil)
                throttle.giveBack(key, rate: rate)
            }
            #expect(await throttle.admit(key, tenant: tenant, rate: rate) == nil)
            #expect(await throttle.admit(key, tenant: tenant, rate: rate) == nil)
            let retryAfter = await throttle.admit(key, tenant: tenant, rate: rate)
            #expect(retryAfter != nil && retryAfter! >= 1 && retryAfter! <= 86_400)
        }
    }
}
