/// A DRF rate string such as `"20/min"`: so many requests per period.
public struct ThrottleRate: Sendable, Hashable, CustomStringConvertible {
    public var requests: Int
    /// The period in seconds.
    public var period: Int

    /// Parses DRF's format: `N/s`, `N/m`, `N/h`, `N/d`, where only the period's first letter counts
    /// (`20/min`, `1000/hour`).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let requests = Int(parts[0]), (1...Self.maximumRequests).contains(requests), let unit = parts[1].first
        else { return nil }
        switch unit {
        case "s": self.period = 1
        case "m": self.period = 60
        case "h": self.period = 3600
        case "d": self.period = 86400
        default: return nil
        }
        self.requests = requests
    }

    /// The most requests one rate may allow per period.
    public static let maximumRequests = 1_000_000

    public var description: String {
        let unit = [1: "second", 60: "min", 3600: "hour", 86400: "day"][self.period] ?? "\(self.period)s"
        return "\(self.requests)/\(unit)"
    }
}
