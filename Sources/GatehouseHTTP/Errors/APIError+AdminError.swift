import GatehouseCore
import HTTPTypes

extension APIError {
    /// The answer to a refused admin operation.
    init(_ error: AdminError) {
        switch error {
        case .invalid(let field, let reason):
            self.init(.badRequest, code: "invalid_request", detail: error.message, fields: [field: [reason]])
        case .notFound:
            self.init(.notFound, code: "not_found", detail: error.message)
        case .conflict:
            self.init(.conflict, code: "conflict", detail: error.message)
        case .forbidden:
            self.init(.forbidden, code: "forbidden", detail: "This admin key does not reach that tenant or route.")
        }
    }
}
