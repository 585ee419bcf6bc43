public import GatehouseCore
public import Hummingbird

/// The admin API under `/admin/v1` (contract section 5): tenants, environments, users,
/// imports, keys, revocations and the audit log, one route collection per area, all behind
/// ``AdminAuthenticator``. Answers are exact JSON (``AdminJSON``), the same the command line prints.
public struct AdminController: Sendable {
    let admin: AdminService

    /// - Parameter admin: the operations, and the check of the callers' keys.
    public init(admin: AdminService) {
        self.admin = admin
    }

    /// Adds the routes to `router`.
    public func register<Context: AdminRequestContext>(on router: Router<Context>) {
        router.group("admin/v1")
            .add(middleware: NoStoreMiddleware())
            .add(middleware: AdminAuthenticator(admin: self.admin))
            .addRoutes(AdminTenantRoutes(admin: self.admin).collection)
            .addRoutes(AdminEnvironmentRoutes(admin: self.admin).collection)
            .addRoutes(AdminUserRoutes(admin: self.admin).collection)
            .addRoutes(AdminKeyRoutes(admin: self.admin).collection)
            .addRoutes(AdminRevocationRoutes(admin: self.admin).collection)
            .addRoutes(AdminAuditRoutes(admin: self.admin).collection)
    }
}
