/// The cost of an Argon2id hash.
public struct Argon2Parameters: Sendable, Hashable {
    /// Memory in KiB (`m`).
    public var memoryKiB: UInt32
    /// Passes over memory (`t`).
    public var iterations: UInt32
    /// Lanes (`p`).
    public var parallelism: UInt32

    /// OWASP's minimum for Argon2id: m=19456 KiB, t=2, p=1.
    public static let `default` = Argon2Parameters(memoryKiB: 19_456, iterations: 2, parallelism: 1)

    public init(memoryKiB: UInt32, iterations: UInt32, parallelism: UInt32) {
        self.memoryKiB = memoryKiB
        self.iterations = iterations
        self.parallelism = parallelism
    }

    /// The parameter segment of a PHC string: `m=19456,t=2,p=1`.
    var phcSegment: String { "m=\(self.memoryKiB),t=\(self.iterations),p=\(self.parallelism)" }
}
