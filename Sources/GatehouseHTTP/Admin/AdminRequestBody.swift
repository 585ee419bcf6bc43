import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// The JSON object of an admin request, with the fields a route accepts: an unknown field,
/// a wrong type or a missing required field is a 400 naming it.
struct AdminRequestBody {
    private let object: [String: JSONValue]

    /// The largest body of most admin requests.
    static let maximumSize = 64 * 1024
    /// The largest body of a bulk revocation: 100,000 usernames of up to 150 characters.
    static let maximumRevocationSize = 32 * 1024 * 1024

    /// Reads the body: a JSON object, or an empty body as `{}`.
    /// - Parameters:
    ///   - allowed: the fields the route knows.
    ///   - maximumSize: the largest body accepted (413 beyond).
    static func read(_ request: Request, allowed: Set<String>, maximumSize: Int = Self.maximumSize) async throws -> AdminRequestBody {
        var request = request
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        let buffer = try await request.collectBody(upTo: maximumSize)
        if buffer.readableBytes == 0 { return AdminRequestBody(object: [:]) }
        guard mediaType == nil || mediaType == "application/json" else {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", detail: "Admin requests take application/json.")
        }
        guard let object = (try? JSONValue.parse(buffer.readableBytesView))?.objectValue else {
            throw APIError(.badRequest, code: "invalid_request", detail: "JSON parse error: the body must be a JSON object.")
        }
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw AdminError.invalid(field: unknown, reason: "unknown field")
        }
        if let field = object.keys.sorted().first(where: { object[$0]?.containsNUL == true }) {
            throw AdminError.invalid(field: field, reason: "must not contain NUL characters")
        }
        return AdminRequestBody(object: object)
    }

    func has(_ name: String) -> Bool {
        self.object[name] != nil
    }

    func string(_ name: String) throws -> String? {
        guard let value = self.object[name], value != .null else { return nil }
        guard let text = value.stringValue else { throw AdminError.invalid(field: name, reason: "must be a string") }
        return text
    }

    func requiredString(_ name: String) throws -> String {
        guard let text = try self.string(name) else { throw AdminError.invalid(field: name, reason: "is required") }
        return text
    }

    func bool(_ name: String) throws -> Bool? {
        guard let value = self.object[name], value != .null else { return nil }
        guard let flag = value.boolValue else { throw AdminError.invalid(field: name, reason: "must be true or false") }
        return flag
    }

    func object(_ name: String) throws -> [String: JSONValue]? {
        guard let value = self.object[name], value != .null else { return nil }
        guard let object = value.objectValue else { throw AdminError.invalid(field: name, reason: "must be an object") }
        return object
    }

    func strings(_ name: String) throws -> [String]? {
        guard let value = self.object[name], value != .null else { return nil }
        guard case .array(let items) = value, case let texts = items.compactMap(\.stringValue), texts.count == items.count else {
            throw AdminError.invalid(field: name, reason: "must be a list of strings")
        }
        return texts
    }
}
