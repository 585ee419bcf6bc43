public import GatehousePostgres

extension PostgresJSONB {
    /// The stored JSON object (settings, claims, details, a JWK); empty when the text is
    /// not an object, which the schema's CHECK constraints already rule out.
    public var object: [String: JSONValue] {
        (try? JSONValue.parse(Array(self.text.utf8)))?.objectValue ?? [:]
    }
}
