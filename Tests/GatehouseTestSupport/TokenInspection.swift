public import GatehouseCore

/// Reads a JWS's header and claims without checking anything: for tests that look at what
/// was issued.
public enum TokenInspection {
    /// The protected header, e.g. `kid`.
    public static func header(_ token: String) -> [String: JSONValue] {
        self.part(token, 0)
    }

    /// The claims.
    public static func claims(_ token: String) -> [String: JSONValue] {
        self.part(token, 1)
    }

    private static func part(_ token: String, _ index: Int) -> [String: JSONValue] {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let bytes = Base64URL.decode(Array(parts[index].utf8)) else { return [:] }
        return (try? JSONValue.parse(bytes))?.objectValue ?? [:]
    }
}
