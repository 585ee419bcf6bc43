import Foundation

/// `cors_allowed_origins`: exact origins, checked as browsers send them.
extension EnvironmentSettings {
    /// The most origins one environment may allow.
    static let maximumOrigins = 32

    /// Exact origins as browsers send them: `http` or `https`, a host, an optional port, no
    /// path, no wildcard, lower case.
    static func origins(_ value: JSONValue, _ name: String) throws(SettingsError) -> [String] {
        let reason =
            "must be a list of at most \(Self.maximumOrigins) origins such as \"https://app.example.com\" (scheme://host[:port], lower case, no path or wildcard)"
        guard case .array(let items) = value, items.count <= Self.maximumOrigins else { throw SettingsError(field: name, reason: reason) }
        var origins: [String] = []
        for item in items {
            guard let origin = item.stringValue, Self.isOrigin(origin), !origins.contains(origin) else {
                throw SettingsError(field: name, reason: reason)
            }
            origins.append(origin)
        }
        return origins
    }

    static func isOrigin(_ text: String) -> Bool {
        guard text.utf8.count <= 253 + 14, let components = URLComponents(string: text), let scheme = components.scheme,
            scheme == "https" || scheme == "http", let host = components.host, !host.isEmpty, components.path.isEmpty,
            components.query == nil, components.fragment == nil, components.user == nil, components.password == nil
        else { return false }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        let rebuilt = "\(scheme)://\(bracketed)" + (components.port.map { ":\($0)" } ?? "")
        return rebuilt == text && text == text.lowercased() && !host.contains("*")
    }
}
