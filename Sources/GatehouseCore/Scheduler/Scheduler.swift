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
        public var slidingBlacklistDeleted = 0

        enum CodingKeys: String, CodingKey {
            case activated, published, retired, dropped
            case refreshTokensDeleted = "refresh_tokens_deleted"
            case revocationListsDeleted = "revocation_lists_deleted"
            case slidingBlacklistDeleted = "sliding_blacklist_deleted"
        }
    }

    /// The advisory lock key: one scheduler acts at a time on a database.
    static let lockKey: Int64 = 0x6761_7465_686f_7573  // "gatehous"

    private let database: PostgresClient
    private let keys: SigningKeyStore
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
        keys: SigningKeyStore,
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
                                "sliding_blacklist_deleted": "\(report.slidingBlacklistDeleted)",
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
                (report.published, report.activated, report.retired, report.dropped) = try await self.tickKeyRings(on: connection, now: now)
                report.refreshTokensDeleted = try await self.refreshTokens.purgeExpired(on: connection)
                report.revocationListsDeleted = try await self.deleteSpentRevocationLists(on: connection, now: now)
                report.slidingBlacklistDeleted = try await SlidingTokenStore().purgeExpired(on: connection)
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

    /// Hands every key ring with possible work a ``KeyLifecycle/Event/tick(now:)``, each in
    /// its own transaction under the ring's lock, and records what the scheduler did.
    private func tickKeyRings(
        on connection: PostgresConnection,
        now: Date
    ) async throws -> (published: Int, activated: Int, retired: Int, dropped: Int) {
        var counts = (published: 0, activated: 0, retired: 0, dropped: 0)
        for environment in try await self.keys.environmentsToTick(on: connection) {
            try await connection.withTransaction { connection in
                let (tenantID, environmentID) = (environment.tenantID, environment.environmentID)
                try await self.keys.lockRing(tenantID: tenantID, environmentID: environmentID, on: connection)
                var lifecycle = try await self.keys.lifecycle(tenantID: tenantID, environmentID: environmentID, on: connection)
                let actions = try lifecycle.handle(.tick(now: now))
                try await self.keys.run(actions, tenantID: tenantID, environmentID: environmentID, on: connection)
                for action in actions {
                    switch action {
                    case .create(let kid, _, _, let activateAt):
                        counts.published += 1
                        var details: [String: JSONValue] = ["environment": .string(environment.slug), "mode": "scheduled"]
                        details["activate_at"] = activateAt.map { .string(AdminJSON.format($0)) }
                        try await self.audit.record(
                            on: connection,
                            actor: .system,
                            tenantID: tenantID,
                            action: "key.rotate",
                            target: kid,
                            details: details
                        )
                    case .move(let kid, .next, .active):
                        counts.activated += 1
                        try await self.audit.record(
                            on: connection,
                            actor: .system,
                            tenantID: tenantID,
                            action: "key.activate",
                            target: kid,
                            details: ["environment": .string(environment.slug), "from": "next", "to": "active", "scheduled": true]
                        )
                    case .move(_, _, .retired): counts.retired += 1
                    case .delete: counts.dropped += 1
                    case .move, .revokeRefreshTokens: break
                    }
                }
            }
        }
        return counts
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
                ?? .zero
            guard now > revokedBefore + validity.timeInterval, now > longerUntil else { continue }
            deleted += try await connection.query("DELETE FROM revocation_lists WHERE tenant_id = \(tenantID) AND id = \(id)").affectedRows
        }
        return deleted
    }
}
