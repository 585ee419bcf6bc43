import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import HTTPTypes
import Testing

/// What a tenant's admin may do to what all tenants share: bounded settings, counts, throttles.
@Suite(.timeLimit(.minutes(5))) struct AdminBoundsTests {
    @Test func settingsHaveUpperBoundsAndOnlyAGlobalKeySwitchesAThrottleOff() async throws {
        try await TestDeployment.with { deployment in
            let scoped = try await deployment.adminKey(scopedTo: "demo")
            try await deployment.testAdmin { admin in
                for (settings, field) in [
                    (["access_token_lifetime": JSONValue.number(10 * 365 * 86400)], "settings.access_token_lifetime"),
                    (["refresh_token_lifetime": .number(2 * 365 * 86400)], "settings.refresh_token_lifetime"),
                    (["leeway": .number(3600)], "settings.leeway"),
                    (["reuse_grace": .number(86400)], "settings.reuse_grace"),
                    (["throttle_anon": "100000000/s"], "settings.throttle_anon"),
                    (["throttle_anon": nil], "settings.throttle_anon"),
                    (["throttle_login_user": nil], "settings.throttle_login_user"),
                ] as [([String: JSONValue], String)] {
                    let answer = try await admin.call(.patch, "/tenants/demo/environments/prod", json: ["settings": .object(settings)], key: scoped)
                    #expect(answer.status == .badRequest, "\(settings)")
                    #expect(answer.json["fields"]?.objectValue?[field] != nil, "\(settings): \(answer.json)")
                }
                // A global key may switch a throttle off.
                let off = try await admin.call(.patch, "/tenants/demo/environments/prod", json: ["settings": ["throttle_login_user": nil]])
                #expect(off.status == .ok)
                #expect(off.json["settings"]?.objectValue?["throttle_login_user"] == .null)
            }
        }
    }

    @Test func aKeyRingAndATenantsEnvironmentsAreBounded() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                for _ in 1..<KeyLifecycle.maximumRingKeys {
                    #expect(try await admin.call(.post, "/tenants/demo/environments/prod/keys/rotate", json: ["mode": "immediate"]).status == .ok)
                }
                let full = try await admin.call(.post, "/tenants/demo/environments/prod/keys/rotate", json: ["mode": "immediate"])
                #expect(full.status == .conflict && full.code == "conflict")
                #expect(try await admin.call(.get, "/tenants/demo/environments/prod/keys").items.count == KeyLifecycle.maximumRingKeys)

                // demo has prod and staging.
                for index in 2..<AdminService.maximumEnvironments {
                    #expect(try await admin.call(.post, "/tenants/demo/environments", json: ["slug": .string("e\(index)")]).status == .created)
                }
                let tooMany = try await admin.call(.post, "/tenants/demo/environments", json: ["slug": "one-more"])
                #expect(tooMany.status == .conflict)
                let tenant = try await admin.call(
                    .post,
                    "/tenants",
                    json: ["slug": "wide", "environments": .array((0...AdminService.maximumEnvironments).map { .string("e\($0)") })]
                )
                #expect(tenant.status == .badRequest && tenant.json["fields"]?.objectValue?["environments"] != nil)
            }
        }
    }
}
