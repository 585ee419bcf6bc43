import GatehouseCore
import Testing

@Suite(.timeLimit(.minutes(5))) struct EnvironmentSettingsTests {
    @Test func theDefaultsAreTheContracts() {
        let json = EnvironmentSettings().json
        #expect(json["access_token_lifetime"] == 900)
        #expect(json["refresh_token_lifetime"] == 1_209_600)
        #expect(json["rotate_refresh_tokens"] == true && json["blacklist_after_rotation"] == true)
        #expect(json["update_last_login"] == true)
        #expect(json["algorithm"] == "ES256" && json["leeway"] == 30 && json["audience"] == .null)
        #expect(json["auth_header_types"] == .array(["Bearer"]))
        #expect(json["throttle_anon"] == "20/min" && json["throttle_user"] == "1000/hour")
        #expect(json["reuse_grace"] == 0)
        #expect(Set(json.keys) == EnvironmentSettings.names)
    }

    @Test func overridesApplyAndBadOnesNameTheirField() throws {
        let settings = try EnvironmentSettings().applying([
            "access_token_lifetime": 60, "algorithm": "EdDSA", "throttle_anon": nil, "audience": "api",
        ])
        #expect(settings.accessTokenLifetime == .seconds(60) && settings.algorithm == .eddsa)
        #expect(settings.throttleAnon == nil && settings.audience == "api")

        let bad: [(String, JSONValue)] = [
            ("access_token_lifetime", 0), ("access_token_lifetime", "900"), ("access_token_lifetime", .number(1.5)),
            ("rotate_refresh_tokens", "yes"), ("algorithm", "none"), ("algorithm", "HS512"), ("leeway", -1),
            ("audience", ""), ("auth_header_types", .array([])), ("auth_header_types", "Bearer"),
            ("throttle_user", "fast"), ("throttle_user", "0/min"), ("reuse_grace", nil), ("no_such_setting", 1),
        ]
        for (name, value) in bad {
            let error = #expect(throws: SettingsError.self) { try EnvironmentSettings().applying([name: value]) }
            #expect(error?.field == name, "\(name) = \(value)")
        }
    }

    @Test func rateStringsParseLikeDRF() {
        #expect(ThrottleRate("20/min") == ThrottleRate("20/m"))
        #expect(ThrottleRate("1000/hour")?.period == 3600)
        #expect(ThrottleRate("5/second")?.period == 1 && ThrottleRate("7/day")?.requests == 7)
        for bad in ["", "20", "/min", "x/min", "20/week", "-1/min"] {
            #expect(ThrottleRate(bad) == nil, "\(bad)")
        }
    }

    @Test func rotationSettingsAreValidatedTogether() throws {
        #expect(throws: SettingsError.self) { try EnvironmentSettings().applying(["key_rotation_period": 600, "key_publish_ahead": 600]) }
        #expect(throws: SettingsError.self) { try EnvironmentSettings().applying(["key_rotation_period": 10]) }
        #expect(try EnvironmentSettings().applying(["key_rotation_period": 86400]).keyRotationPeriod == .seconds(86400))
    }
}
