import Foundation
import GatehousePostgres

/// What guards the login route besides the password: `throttle_login_user` (only failures
/// count, shared by every instance) and the audit event for a burst of failures.
struct LoginGuard: Sendable {
    let throttle: SharedThrottle
    let database: PostgresClient
    let clock: DatabaseClock
    let audit: AuditLog
    /// Failed logins per environment and username, to tell a burst (guessing) from typos.
    let failures = RateLimiter()
    /// At most one audit event per burst window and username.
    let reports = RateLimiter()

    /// More failed logins than this, for one username, is a burst worth an audit event.
    static let burstRate = ThrottleRate("5/min")!
    static let burstReportRate = ThrottleRate("1/min")!

    /// An attempt reserved against `throttle_login_user`, to be given back if it succeeds.
    struct Attempt {
        let key: ThrottleKey
        let rate: ThrottleRate
    }

    /// Reserves an attempt before the hash, so concurrent guesses cannot pass the throttle
    /// together; `nil` when the realm does not throttle logins.
    /// - Throws: ``TokenService/Failure/throttled(retryAfter:)``.
    func admit(_ username: String, in realm: Realm) async throws -> Attempt? {
        guard let rate = realm.settings.throttleLoginUser else { return nil }
        let attempt = Attempt(key: ThrottleKey("login_user", realm.tenantID.uuidString, username), rate: rate)
        if let retryAfter = await self.throttle.admit(attempt.key, tenant: realm.tenantID, rate: rate) {
            throw TokenService.Failure.throttled(retryAfter: retryAfter)
        }
        return attempt
    }

    /// A successful login: its attempt does not count.
    func succeeded(_ attempt: Attempt?) {
        if let attempt { self.throttle.giveBack(attempt.key, rate: attempt.rate) }
    }

    /// Counts a failed login; the first one past the burst rate is recorded in the audit log
    /// (the username, never the password). Recording is best effort: the client's answer
    /// does not depend on it.
    func failed(_ username: String, in realm: Realm) async {
        let key = ThrottleKey("login_failures", realm.environmentID.uuidString, username)
        let now = self.clock.now()
        guard self.failures.admit(key, rate: Self.burstRate, now: now) != nil,
            self.reports.admit(key, rate: Self.burstReportRate, now: now) == nil
        else { return }
        try? await self.database.withConnection { connection in
            try await self.audit.record(
                on: connection,
                actor: .system,
                tenantID: realm.tenantID,
                action: "login.failure_burst",
                target: username,
                details: [
                    "environment": .string(realm.environmentSlug), "failures": .number(Double(Self.burstRate.requests + 1)),
                    "window_seconds": .number(Double(Self.burstRate.period)),
                ]
            )
        }
    }
}
