public import Foundation

/// The one JSON form of admin answers, shared by the admin API and the command line so that
/// both print the same bytes: sorted keys, unescaped slashes, RFC 3339 instants with
/// milliseconds (a revocation instant must compare exactly with a token's `iat`).
public enum AdminJSON {
    /// Encodes `value`.
    public static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Self.format(date))
        }
        return try encoder.encode(value)
    }

    /// `2026-11-27T20:00:00.123Z`.
    public static func format(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon))
            + "Z"
    }

    /// Parses an RFC 3339 instant, with or without fractional seconds.
    public static func parseDate(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

extension KeyedEncodingContainer {
    /// Encodes an id as the rest of the service writes ids (a token's `sub`, `user_id`):
    /// lower case. Foundation's own `UUID` encoding is upper case.
    mutating func encodeID(_ id: UUID?, forKey key: Key) throws {
        try self.encode(id?.uuidString.lowercased(), forKey: key)
    }
}
