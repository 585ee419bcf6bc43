extension KeyLifecycle {
    /// What the environment's settings say about its keys.
    public struct Policy: Sendable, Equatable {
        /// The algorithm of new keys when a rotation names none.
        public var algorithm: SigningAlgorithm
        /// How long a key that stopped signing may still have valid tokens.
        public var retention: Duration
        /// Scheduled rotation: how long a key signs before the next one takes over.
        public var rotationPeriod: Duration?
        /// Scheduled rotation: how long before that the next key is published.
        public var publishAhead: Duration

        public init(algorithm: SigningAlgorithm, retention: Duration, rotationPeriod: Duration? = nil, publishAhead: Duration = .seconds(3600)) {
            self.algorithm = algorithm
            self.retention = retention
            self.rotationPeriod = rotationPeriod
            self.publishAhead = publishAhead
        }

        public init(_ settings: EnvironmentSettings) {
            self.init(
                algorithm: settings.algorithm,
                retention: settings.keyRetention,
                rotationPeriod: settings.keyRotationPeriod,
                publishAhead: settings.keyPublishAhead
            )
        }
    }
}
