public import Foundation
public import GatehousePostgres
public import Logging
public import ServiceLifecycle

/// The housekeeping every instance runs and one at a time performs (a PostgreSQL advisory
/// lock decides which): activates staged keys when their `activate_at` comes, publishes and
/// activates scheduled keys (settings `key_rotation_period`, `key_publish_ahead`), retires
/// retiring keys once no token they signed can still be valid, drops retired and revoked
/// keys after that, purges expired refresh-token rows and deletes ended throttle windows.
///
/// Key changes reach every instance through the usual change notifications.
public final class Scheduler: Service {
    /// What one run did.
    public struct Report: Sendable, Equatable, Encodable {
        public var activated = 0
        public var published = 0
        public var retired = 0
        public var dropped = 0
        public var refreshTokensDeleted = 0
        public var revocationListsDeleted = 0

        enum CodingKeys: String, CodingKey {
            case activated, published, retired, dropped
            case refreshTokensDeleted = "refresh_tokens_deleted"
            case revocationListsDeleted = "revocation_lists_deleted"
        }
    }

    /// The advisory lock key: one scheduler acts at a time on a database.
    static let lockKey: Int64 = 0x6761_7465_686f_7573  // "gatehous"

    private let database: PostgresClient
    private let keys: KeyStore
    private let interval: Duration
    private let logger: Logger
    private let clock: DatabaseClock
    private let audit = AuditLog()
    private let refreshTokens = RefreshTokenStore()

    /// - Parameters:
    ///   - database: the deployment's database.
    ///   - keys: seals scheduled keys.
    ///   - interval: how often to look for work.
    ///   - clock: the database's clock, synchronized on every run.
    ///   - logger: where work done and trouble are reported.
    public init(
        database: PostgresClient,
        keys: KeyStore,
        interval: Duration = .seconds(5),
        clock: DatabaseClock = DatabaseClock(),
        logger: Logger = Logger(label: "gatehouse.scheduler")
    ) {
        self.database = database
        self.keys = keys
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    /// Runs every `interval` until cancelled or shut down.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while (try? await Task.sleep(for: self.interval)) != nil {
                do {
                    try await self.clock.synchronize(with: self.database)
                    if let report = try await self.runOnce(), report != Report() {
                        self.logger.info(
                            "scheduler",
                            metadata: [
                                "activated": "\(report.activated)", "published": "\(report.published)", "retired": "\(report.retired)",
                                "dropped": "\(report.dropped)", "refresh_tokens_deleted": "\(report.refreshTokensDeleted)",
                                "revocation_lists_deleted": "\(report.revocationListsDeleted)",
                            ]
                        )
                    }
                } catch {
                    self.logger.warning("scheduler run failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// One run, if no other instance is running one; `nil` when another holds the lock.
    /// - Parameter now: the instant to judge by; the database's clock when `nil`.
    public func runOnce(now: Date? = nil) async throws -> Report? {
        let now = now ?? self.clock.now()
        return try await self.database.withConnection { connection -> Report? in
            guard try await connection.query("SELECT pg_try_advisory_lock(\(Self.lockKey))").single(Bool.self) else { return nil }
            do {
                var report = Report()
                report.published = try await self.publishScheduledKeys(on: connection, now: now)
                report.activated = try await self.activateDueKeys(on: connection)
                (report.retired, report.dropped) = try await self.retireAndDropKeys(on: connection, now: now)
                report.refreshTokensDeleted = try await self.refreshTokens.purgeExpired(on: connection)
                report.revocationListsDeleted = try await self.deleteSpentRevocationLists(on: connection, now: now)
                // Throttle windows last a day at most.
                try await connection.query("DELETE FROM throttle_counters WHERE window_start < \(now) - interval '1 day'")
                _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
                return report
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
                throw error
            }
        }
    }

    /// For each environment with `key_rotation_period`: when the active key is due within
    /// `key_publish_ahead` and nothing is staged, a new key is published as `next`, to be
    /// activated when the period ends.
    private func publishScheduledKeys(on connection: PostgresConnection, now: Date) async throws -> Int {
        let rows = try await connection.query(
            """
            SELECT e.tenant_id, e.id, e.slug, e.settings, k.activated_at
            FROM environments e
            JOIN signing_keys k ON k.tenant_id = e.tenant_id AND k.environment_id = e.id AND k.state = 'active'
            WHERE jsonb_typeof(e.settings -> 'key_rotation_period') = 'number'
              AND NOT EXISTS (SELECT 1 FROM signing_keys n WHERE n.tenant_id = e.tenant_id AND n.environment_id = e.id AND n.state = 'next')
            """
        )
        var published = 0
        for row in rows {
            let (tenantID, environmentID, slug, json, activatedAt) = try row.decode((UUID, UUID, String, PostgresJSONB, Date).self)
            let settings = EnvironmentSettings(stored: json.object)
            guard let period = settings.keyRotationPeriod else { continue }
            let due = activatedAt.addingTimeInterval(Double(period))
            guard now.addingTimeInterval(Double(settings.keyPublishAhead)) >= due else { continue }
            try await connection.withTransaction { connection in
                try await KeyStore.lockRing(on: connection, tenantID: tenantID, environmentID: environmentID)
                let staged = try await connection.query(
                    "SELECT count(*) FROM signing_keys WHERE tenant_id = \(tenantID) AND environment_id = \(environmentID) AND state = 'next'"
                ).single(Int.self)
                if staged == 0 {
                    let kid = try await self.keys.createKey(
                        on: connection,
                        tenantID: tenantID,
                        environmentID: environmentID,
                        algorithm: settings.algorithm,
                        state: .next
                    )
                    let activateAt = max(due, now)
                    try await connection.query("UPDATE signing_keys SET activate_at = \(activateAt) WHERE tenant_id = \(tenantID) AND kid = \(kid)")
                    try await self.audit.record(
                        on: connection,
                        actor: .system,
                        tenantID: tenantID,
                        action: "key.rotate",
                        target: kid,
                        details: ["environment": .string(slug), "mode": "scheduled", "activate_at": .string(AdminJSON.format(activateAt))]
                    )
                    published += 1
                }
            }
        }
        return published
    }

    /// Staged keys whose `activate_at` has come become active; the active key starts retiring.
    private func activateDueKeys(on connection: PostgresConnection) async throws -> Int {
        let due = try await connection.query(
            """
            SELECT k.tenant_id, k.environment_id, k.kid, e.slug FROM signing_keys k
            JOIN environments e ON e.tenant_id = k.tenant_id AND e.id = k.environment_id
            WHERE k.state = 'next' AND k.activate_at <= now()
            """
        )
        var activated = 0
        for row in due {
            let (tenantID, environmentID, kid, slug) = try row.decode((UUID, UUID, String, String).self)
            try await connection.withTransaction { connection in
                try await KeyStore.lockRing(on: connection, tenantID: tenantID, environmentID: environmentID)
                let stillNext = try await connection.query(
                    "SELECT count(*) FROM signing_keys WHERE tenant_id = \(tenantID) AND kid = \(kid) AND state = 'next'"
                ).single(Int.self)
                if stillNext == 1 {
                    try await KeyStore.activate(on: connection, tenantID: tenantID, environmentID: environmentID, kid: kid)
                    try await self.audit.record(
                        on: connection,
                        actor: .system,
                        tenantID: tenantID,
                        action: "key.activate",
                        target: kid,
                        details: ["environment": .string(slug), "from": "next", "to": "active", "scheduled": true]
                    )
                    activated += 1
                }
            }
        }
        return activated
    }

    /// Retiring keys become retired once the environment's longest token lifetime has passed
    /// since they stopped signing; retired and revoked keys are deleted (with their refresh
    /// token rows, all expired by then) one such span later still.
    private func retireAndDropKeys(on connection: PostgresConnection, now: Date) async throws -> (retired: Int, dropped: Int) {
        let rows = try await connection.query(
            """
            SELECT k.tenant_id, k.kid, k.state,
                   CASE WHEN k.state = 'retiring' THEN k.retiring_at ELSE coalesce(k.revoked_at, k.retired_at) END, e.settings
            FROM signing_keys k JOIN environments e ON e.tenant_id = k.tenant_id AND e.id = k.environment_id
            WHERE k.state IN ('retiring', 'retired', 'revoked')
            """
        )
        var retired = 0
        var dropped = 0
        for row in rows {
            let (tenantID, kid, state, since, json) = try row.decode((UUID, String, String, Date, PostgresJSONB).self)
            let retention = Double(EnvironmentSettings(stored: json.object).keyRetention)
            if state == "retiring", now.timeIntervalSince(since) > retention {
                retired += try await connection.query(
                    "UPDATE signing_keys SET state = 'retired', retired_at = now() WHERE tenant_id = \(tenantID) AND kid = \(kid) AND state = 'retiring'"
                ).affectedRows
            } else if state != "retiring", now.timeIntervalSince(since) > retention {
                // Every token a retired or revoked key signed has expired one retention later.
                dropped += try await connection.query(
                    "DELETE FROM signing_keys WHERE tenant_id = \(tenantID) AND kid = \(kid) AND state IN ('retired', 'revoked')"
                ).affectedRows
            }
        }
        return (retired, dropped)
    }

    /// Deletes revocation lists once every token they can cover has expired, judged by what
    /// those tokens carried: one longest validity of their environment (of every environment
    /// of the tenant, for a list of all) after their instant, and never before a lifetime
    /// that was shortened since has run out for the tokens issued under it.
    private func deleteSpentRevocationLists(on connection: PostgresConnection, now: Date) async throws -> Int {
        let lists = try await connection.query(
            """
            SELECT l.tenant_id, l.id, l.revoked_before,
                   array_agg(e.settings::text), max(coalesce(e.longer_lifetimes_until, l.revoked_before))
            FROM revocation_lists l
            JOIN environments e ON e.tenant_id = l.tenant_id AND (l.environment_id IS NULL OR e.id = l.environment_id)
            WHERE l.revoked_before < \(now)
            GROUP BY l.tenant_id, l.id, l.revoked_before
            """
        )
        var deleted = 0
        for row in lists {
            let (tenantID, id, revokedBefore, settings, longerUntil) = try row.decode((UUID, Int64, Date, [String], Date).self)
            let validity =
                settings.map { EnvironmentSettings(stored: (try? JSONValue.parse(Array($0.utf8)))?.objectValue ?? [:]).longestTokenValidity }.max()
                ?? 0
            guard now > revokedBefore.addingTimeInterval(Double(validity)), now > longerUntil else { continue }
            deleted += try await connection.query("DELETE FROM revocation_lists WHERE tenant_id = \(tenantID) AND id = \(id)").affectedRows
        }
        return deleted
    }
}
