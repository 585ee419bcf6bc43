public import GatehouseCore
public import Hummingbird

/// A request context with room for the admin caller, which ``AdminAuthenticator`` fills in
/// before any admin route runs.
public protocol AdminRequestContext: RequestContext {
    /// The authenticated caller; `nil` outside the admin API.
    var adminActor: AdminActor? { get set }
}

extension AdminRequestContext {
    /// The caller ``AdminAuthenticator`` authenticated. A route reached without it (added
    /// outside the authenticated group) answers 401, never runs unauthenticated.
    func actor() throws -> AdminActor {
        guard let actor = self.adminActor else { throw AdminAuthenticator<Self>.unauthenticated }
        return actor
    }
}
