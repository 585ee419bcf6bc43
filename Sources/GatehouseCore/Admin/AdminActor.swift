public import Foundation

/// Who performs an admin action, as the audit log records it.
public struct AdminActor: Sendable, Hashable {
    /// The admin key's id, or `nil` for the command line and the service itself.
    public var keyID: UUID?
    /// The tenant an admin key is limited to; `nil` for a global key.
    public var tenantID: UUID?
    /// The audit log's `actor`: `admin_key:<id>`, `cli` or `system`.
    public var name: String

    /// An admin API key.
    public static func adminKey(id: UUID, tenantID: UUID?) -> AdminActor {
        AdminActor(keyID: id, tenantID: tenantID, name: "admin_key:" + id.uuidString.lowercased())
    }

    /// The command line: whoever can reach the database and the master key.
    public static let cli = AdminActor(keyID: nil, tenantID: nil, name: "cli")

    /// The service itself: security events, the scheduler.
    public static let system = AdminActor(keyID: nil, tenantID: nil, name: "system")

    /// Whether this actor reaches the tenant: global actors reach every tenant.
    public func reaches(_ tenant: UUID) -> Bool {
        self.tenantID == nil || self.tenantID == tenant
    }

    /// Whether this actor may use routes that span tenants.
    public var isGlobal: Bool {
        self.tenantID == nil
    }
}
