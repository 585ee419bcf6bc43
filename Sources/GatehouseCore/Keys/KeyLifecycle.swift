public import Foundation

/// The signing keys of one environment as a value: what the ring holds, the events that
/// change it, and the actions each event asks of the store (``SigningKeyStore/run(_:tenantID:environmentID:on:)``).
/// It decides and does no I/O, so every state × event is tested without a database; the
/// admin service and the scheduler only load it, hand it an event and run what it returns.
///
/// It updates its own copy of the keys as it decides, so events handled one after another
/// see each other's effects, as they would in the database.
public struct KeyLifecycle: Sendable {
    /// How a rotation brings in the new key.
    public enum RotationMode: String, Sendable, CaseIterable {
        /// The new key signs at once; the old active key becomes `retiring`.
        case immediate
        /// The new key is published as `next`, activated later by hand or at `activate_at`.
        case staged
    }

    /// One stored key, as far as its lifecycle goes.
    public struct Key: Sendable, Equatable {
        public var kid: String
        public var state: KeyState
        /// For a staged key: when the scheduler activates it (`nil`: by hand only).
        public var activateAt: Date?
        /// Since when it signs (or signed).
        public var activatedAt: Date?
        /// Since when it no longer signs.
        public var retiringAt: Date?
        /// Since when it no longer verifies: retired or revoked.
        public var endedAt: Date?

        public init(kid: String, state: KeyState, activateAt: Date? = nil, activatedAt: Date? = nil, retiringAt: Date? = nil, endedAt: Date? = nil) {
            self.kid = kid
            self.state = state
            self.activateAt = activateAt
            self.activatedAt = activatedAt
            self.retiringAt = retiringAt
            self.endedAt = endedAt
        }
    }

    /// Something that happens to the ring.
    public enum Event: Sendable, Equatable {
        /// A new key: active at once, or staged as `next` (activated at `activateAt` if given).
        case rotate(RotationMode, algorithm: SigningAlgorithm? = nil, activateAt: Date? = nil)
        /// A `next` key starts signing; the active key starts retiring.
        case activate(kid: String)
        /// A `next` or `retiring` key stops verifying.
        case retire(kid: String)
        /// A key stops verifying at once and its refresh tokens are revoked; an active key is replaced.
        case revoke(kid: String)
        /// Time passes: due staged keys activate, scheduled keys are published, retiring keys
        /// retire and ended keys are dropped once no token they signed can be valid.
        case tick(now: Date)
    }

    /// What the store must do, in order.
    public enum Action: Sendable, Equatable {
        /// Generate, seal and store a key.
        case create(kid: String, algorithm: SigningAlgorithm, state: KeyState, activateAt: Date?)
        /// Move a key to another state, stamping the time it entered it.
        case move(kid: String, from: KeyState, to: KeyState)
        /// Revoke the outstanding refresh tokens the key signed (reason `key_revoked`).
        case revokeRefreshTokens(kid: String)
        /// Delete the key: every token it signed has long expired.
        case delete(kid: String)
    }

    /// Why an event was refused; nothing was decided.
    public enum Refusal: Error, Sendable, Equatable {
        case unknownKey(kid: String)
        /// A staged rotation while another key is `next`.
        case alreadyStaged(kid: String)
        /// Activating a key that is not `next`.
        case notStaged(kid: String, state: KeyState)
        /// Retiring the active key: another must be activated first.
        case stillActive(kid: String)
        /// Retiring a revoked key.
        case revoked(kid: String)
        /// `activateAt` on an immediate rotation, or not in the future.
        case activationTime(reason: String)
        /// The ring (`next`, `active`, `retiring`) or the stored keys are at their bound.
        case full(reason: String)
    }

    /// The most keys in one ring (`next`, `active`, `retiring`): each is published, kept in
    /// every instance's memory and tried by kid on every verification.
    public static let maximumRingKeys = 16
    /// The most keys stored for one environment, retired and revoked ones included (the
    /// scheduler deletes those one retention after they left the ring).
    public static let maximumStoredKeys = 100

    /// Every stored key of the environment, oldest first.
    public private(set) var keys: [Key]
    public let policy: Policy
    /// The instant events are judged and stamped by; `tick` moves it on.
    public private(set) var now: Date
    private let newKid: @Sendable () -> String

    /// - Parameters:
    ///   - keys: every stored key of the environment, in any state.
    ///   - now: the database's clock.
    ///   - newKid: names new keys.
    public init(keys: [Key], policy: Policy, now: Date, newKid: @escaping @Sendable () -> String = SigningKeyMaterial.newKid) {
        self.keys = keys
        self.policy = policy
        self.now = now
        self.newKid = newKid
    }

    /// The key that signs, if any.
    public var active: Key? { self.keys.first { $0.state == .active } }
    /// The staged key, if any.
    public var next: Key? { self.keys.first { $0.state == .next } }

    /// Decides what `event` does, updates this copy of the ring, and returns the actions.
    /// An event that finds the key already where it would go returns no actions.
    public mutating func handle(_ event: Event) throws(Refusal) -> [Action] {
        switch event {
        case .rotate(let mode, let algorithm, let activateAt):
            return try self.rotate(mode, algorithm: algorithm ?? self.policy.algorithm, activateAt: activateAt)
        case .activate(let kid):
            let key = try self.key(kid)
            switch key.state {
            case .active: return []
            case .next: return self.activate(kid)
            case .retiring, .retired, .revoked: throw .notStaged(kid: kid, state: key.state)
            }
        case .retire(let kid):
            let key = try self.key(kid)
            switch key.state {
            case .retired: return []
            case .next, .retiring: return [self.move(kid, to: .retired)]
            case .active: throw .stillActive(kid: kid)
            case .revoked: throw .revoked(kid: kid)
            }
        case .revoke(let kid):
            let key = try self.key(kid)
            guard key.state != .revoked else { return [] }
            var actions = [self.move(kid, to: .revoked), .revokeRefreshTokens(kid: kid)]
            if key.state == .active { actions.append(self.create(self.policy.algorithm, state: .active, activateAt: nil)) }
            return actions
        case .tick(let now):
            self.now = now
            return self.publishScheduled() + self.activateDue() + self.retireAndDrop()
        }
    }

    private mutating func rotate(_ mode: RotationMode, algorithm: SigningAlgorithm, activateAt: Date?) throws(Refusal) -> [Action] {
        if let activateAt {
            guard mode == .staged else { throw .activationTime(reason: "only a staged rotation can be activated later") }
            guard activateAt > self.now else { throw .activationTime(reason: "must be in the future") }
        }
        let ring = self.keys.count { $0.state == .next || $0.state == .active || $0.state == .retiring }
        guard ring < Self.maximumRingKeys else {
            throw .full(reason: "the key ring already holds \(Self.maximumRingKeys) keys: retire retiring keys before rotating again")
        }
        guard self.keys.count < Self.maximumStoredKeys else {
            throw .full(reason: "the environment already stores \(Self.maximumStoredKeys) keys; the scheduler deletes retired ones later")
        }
        switch mode {
        case .immediate:
            let retire = self.active.map { self.move($0.kid, to: .retiring) }
            return (retire.map { [$0] } ?? []) + [self.create(algorithm, state: .active, activateAt: nil)]
        case .staged:
            if let staged = self.next { throw .alreadyStaged(kid: staged.kid) }
            return [self.create(algorithm, state: .next, activateAt: activateAt)]
        }
    }

    /// When the active key's period is nearly over and nothing is staged, publishes the key
    /// that takes over when it ends.
    private mutating func publishScheduled() -> [Action] {
        guard let period = self.policy.rotationPeriod, self.next == nil, let activatedAt = self.active?.activatedAt else { return [] }
        let due = activatedAt + period.timeInterval
        guard self.now + self.policy.publishAhead.timeInterval >= due else { return [] }
        return [self.create(self.policy.algorithm, state: .next, activateAt: max(due, self.now))]
    }

    private mutating func activateDue() -> [Action] {
        guard let next = self.next, let activateAt = next.activateAt, activateAt <= self.now else { return [] }
        return self.activate(next.kid)
    }

    private mutating func retireAndDrop() -> [Action] {
        let retention = self.policy.retention.timeInterval
        var actions: [Action] = []
        for key in self.keys {
            switch key.state {
            case .retiring:
                if let since = key.retiringAt, self.now.timeIntervalSince(since) > retention { actions.append(self.move(key.kid, to: .retired)) }
            case .retired, .revoked:
                if let since = key.endedAt, self.now.timeIntervalSince(since) > retention {
                    self.keys.removeAll { $0.kid == key.kid }
                    actions.append(.delete(kid: key.kid))
                }
            case .next, .active: break
            }
        }
        return actions
    }

    private mutating func activate(_ kid: String) -> [Action] {
        let retire = self.active.map { self.move($0.kid, to: .retiring) }
        return (retire.map { [$0] } ?? []) + [self.move(kid, to: .active)]
    }

    private func key(_ kid: String) throws(Refusal) -> Key {
        guard let key = self.keys.first(where: { $0.kid == kid }) else { throw .unknownKey(kid: kid) }
        return key
    }

    private mutating func move(_ kid: String, to state: KeyState) -> Action {
        let index = self.keys.firstIndex { $0.kid == kid }!
        let from = self.keys[index].state
        self.keys[index].state = state
        switch state {
        case .active: self.keys[index].activatedAt = self.now
        case .retiring: self.keys[index].retiringAt = self.now
        case .retired, .revoked: self.keys[index].endedAt = self.now
        case .next: break
        }
        return .move(kid: kid, from: from, to: state)
    }

    private mutating func create(_ algorithm: SigningAlgorithm, state: KeyState, activateAt: Date?) -> Action {
        let kid = self.newKid()
        self.keys.append(Key(kid: kid, state: state, activateAt: activateAt, activatedAt: state == .active ? self.now : nil))
        return .create(kid: kid, algorithm: algorithm, state: state, activateAt: activateAt)
    }
}
