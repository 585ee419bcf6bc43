/// One page of a list: `{"items": [...], "next_cursor": "..." | null}`.
public struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    public var items: [Item]
    /// Pass it back as `cursor` for the next page; `nil` on the last one.
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case items
        case nextCursor = "next_cursor"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.items, forKey: .items)
        // Always present, null on the last page, so scripts can loop on it.
        try container.encode(self.nextCursor, forKey: .nextCursor)
    }
}
