/// Why an admin operation was refused; the HTTP layer and the CLI each turn it into their answer.
public enum AdminError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A field of the request is missing, of the wrong type or out of range.
    case invalid(field: String, reason: String)
    /// The named thing does not exist (or is outside the caller's reach).
    case notFound(String)
    /// The request clashes with the current state: a taken slug or username, a key in the wrong state.
    case conflict(String)
    /// The admin key may not do this: a tenant-scoped key outside its tenant or on a global route.
    case forbidden

    public var description: String { self.message }

    /// A sentence for people.
    public var message: String {
        switch self {
        case .invalid(let field, let reason): "\(field): \(reason)"
        case .notFound(let what): "\(what) not found"
        case .conflict(let detail): detail
        case .forbidden: "this admin key may not do that"
        }
    }
}
