import Foundation
public import GatehousePostgres
public import Logging
public import ServiceLifecycle
import Synchronization

/// Applies PostgreSQL's change notifications (`sql/0002_change_notifications.sql`) to this
/// instance's caches, so that every instance on one database agrees within moments on keys,
/// settings and revocations.
///
/// After a reconnect, notifications may have been missed, so both caches start over; a
/// periodic reload backs up the notifications in case one is ever lost. The reload keeps
/// the old copies for readers that cannot reach the database, and does not run while the
/// listener is disconnected: nothing can change without the database, and verify and me go
/// on answering from the caches through an outage.
public final class ChangeFeed: Service {
    static let realmsChannel = "gatehouse_realms"
    static let usersChannel = "gatehouse_users"

    private let listener: PostgresListener
    private let realms: RealmDirectory
    private let users: UserCache
    private let backupInterval: Duration
    private let logger: Logger
    /// Whether the listener is connected: the periodic reload waits for it.
    private let connected = Atomic<Bool>(false)

    /// Whether changes made from now on reach this instance's caches.
    public var isConnected: Bool { self.connected.load(ordering: .relaxed) }

    /// - Parameters:
    ///   - configuration: the database; the feed keeps one connection of its own.
    ///   - realms: the realm cache to invalidate.
    ///   - users: the user cache to invalidate.
    ///   - backupInterval: how often both caches are read again regardless.
    ///   - logger: where connection trouble is reported.
    public init(
        configuration: PostgresConfiguration,
        realms: RealmDirectory,
        users: UserCache,
        backupInterval: Duration = .seconds(30),
        logger: Logger = Logger(label: "gatehouse.changes")
    ) {
        self.listener = PostgresListener(
            configuration: configuration,
            channels: [Self.realmsChannel, Self.usersChannel],
            logger: logger
        )
        self.realms = realms
        self.users = users
        self.backupInterval = backupInterval
        self.logger = logger
    }

    /// Listens and applies changes until cancelled or shut down.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { try? await self.listener.run() }
            group.addTask {
                while (try? await Task.sleep(for: self.backupInterval)) != nil {
                    guard self.connected.load(ordering: .relaxed) else { continue }
                    self.realms.reloadAll()
                    self.users.reloadAll()
                }
            }
            for await event in self.listener.events {
                self.apply(event)
            }
            group.cancelAll()
        }
    }

    private func apply(_ event: PostgresListener.Event) {
        switch event {
        case .connected:
            self.connected.store(true, ordering: .relaxed)
            self.realms.invalidateAll()
            self.users.clear()
        case .disconnected:
            self.connected.store(false, ordering: .relaxed)
        case .notification(let notification) where notification.channel == Self.realmsChannel:
            if let tenant = UUID(uuidString: notification.payload) {
                self.realms.invalidate(tenant: tenant)
            } else {
                self.realms.invalidateAll()
            }
        case .notification(let notification):
            let parts = notification.payload.split(separator: " ")
            guard parts.count == 2, let tenant = UUID(uuidString: String(parts[0])) else {
                self.users.clear()
                return
            }
            if let user = UUID(uuidString: String(parts[1])) {
                self.users.evict(tenant: tenant, user: user)
            } else {
                self.users.evict(tenant: tenant)
            }
        }
    }
}
