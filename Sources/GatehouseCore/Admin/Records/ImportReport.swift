/// What a bulk import did with each line.
public struct ImportReport: Encodable, Sendable {
    /// A line that was not created, and why.
    public struct Line: Encodable, Sendable, Equatable {
        public enum Status: String, Encodable, Sendable {
            /// The username exists already (in the tenant or earlier in the file); nothing changed.
            case skipped
            /// The line is malformed, or its batch could not be written.
            case failed
        }

        /// 1-based line number in the input.
        public var line: Int
        public var username: String?
        public var status: Status
        public var reason: String

        enum CodingKeys: String, CodingKey {
            case line, username, status, reason
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.line, forKey: .line)
            try container.encode(self.username, forKey: .username)
            try container.encode(self.status, forKey: .status)
            try container.encode(self.reason, forKey: .reason)
        }
    }

    public var created = 0
    public var skipped = 0
    public var failed = 0
    /// Every line that was skipped or failed, in input order (created lines are only counted).
    public var lines: [Line] = []

    mutating func add(_ line: Line) {
        switch line.status {
        case .skipped: self.skipped += 1
        case .failed: self.failed += 1
        }
        self.lines.append(line)
    }
}
