import Foundation
import GatehouseCore
import Synchronization
import Testing

/// The signing-key lifecycle without a database: every state × event, the clock's events,
/// the bounds, and random event sequences run through a fake store.
@Suite(.timeLimit(.minutes(1))) struct KeyLifecycleTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let policy = KeyLifecycle.Policy(algorithm: .es256, retention: .seconds(600))

    /// Names new keys new-1, new-2, ...
    final class Kids: Sendable {
        let count = Mutex(0)
        func next() -> String {
            let number = self.count.withLock { count in
                count += 1
                return count
            }
            return "new-\(number)"
        }
    }

    /// A ring of the active key `a` and, unless `state` is active, key `k` in `state`; `k`
    /// is then `a`. Timestamps are `age` before `start`.
    static func ring(_ state: KeyState, age: TimeInterval = 0, activateAt: Date? = nil, policy: KeyLifecycle.Policy = Self.policy) -> KeyLifecycle {
        let since = Self.start - age
        let key = KeyLifecycle.Key(
            kid: "k",
            state: state,
            activateAt: activateAt,
            activatedAt: state == .active ? since : nil,
            retiringAt: state == .retiring ? since : nil,
            endedAt: state == .retired || state == .revoked ? since : nil
        )
        let active = KeyLifecycle.Key(kid: "a", state: .active, activatedAt: since)
        let kids = Kids()
        return KeyLifecycle(keys: state == .active ? [key] : [active, key], policy: policy, now: Self.start, newKid: kids.next)
    }

    /// An active key `a` activated at `start`, rotated every hour, published five minutes ahead.
    static func scheduled() -> KeyLifecycle {
        KeyLifecycle(
            keys: [KeyLifecycle.Key(kid: "a", state: .active, activatedAt: Self.start)],
            policy: KeyLifecycle.Policy(algorithm: .es256, retention: .seconds(600), rotationPeriod: .seconds(3600), publishAhead: .seconds(300)),
            now: Self.start,
            newKid: Kids().next
        )
    }

    /// What each event does to `k` in each state: the actions, or the refusal.
    static let table: [(KeyLifecycle.Event, KeyState, Result<[KeyLifecycle.Action], KeyLifecycle.Refusal>)] = [
        (.activate(kid: "k"), .next, .success([.move(kid: "a", from: .active, to: .retiring), .move(kid: "k", from: .next, to: .active)])),
        (.activate(kid: "k"), .active, .success([])),
        (.activate(kid: "k"), .retiring, .failure(.notStaged(kid: "k", state: .retiring))),
        (.activate(kid: "k"), .retired, .failure(.notStaged(kid: "k", state: .retired))),
        (.activate(kid: "k"), .revoked, .failure(.notStaged(kid: "k", state: .revoked))),
        (.retire(kid: "k"), .next, .success([.move(kid: "k", from: .next, to: .retired)])),
        (.retire(kid: "k"), .active, .failure(.stillActive(kid: "k"))),
        (.retire(kid: "k"), .retiring, .success([.move(kid: "k", from: .retiring, to: .retired)])),
        (.retire(kid: "k"), .retired, .success([])),
        (.retire(kid: "k"), .revoked, .failure(.revoked(kid: "k"))),
        (.revoke(kid: "k"), .next, .success([.move(kid: "k", from: .next, to: .revoked), .revokeRefreshTokens(kid: "k")])),
        (
            .revoke(kid: "k"), .active,
            .success([
                .move(kid: "k", from: .active, to: .revoked), .revokeRefreshTokens(kid: "k"),
                .create(kid: "new-1", algorithm: .es256, state: .active, activateAt: nil),
            ])
        ),
        (.revoke(kid: "k"), .retiring, .success([.move(kid: "k", from: .retiring, to: .revoked), .revokeRefreshTokens(kid: "k")])),
        (.revoke(kid: "k"), .retired, .success([.move(kid: "k", from: .retired, to: .revoked), .revokeRefreshTokens(kid: "k")])),
        (.revoke(kid: "k"), .revoked, .success([])),
        (.rotate(.staged), .next, .failure(.alreadyStaged(kid: "k"))),
        // A rotation retires the active key (`a`, or `k` when it is the active one).
        (
            .rotate(.immediate), .next,
            .success([.move(kid: "a", from: .active, to: .retiring), .create(kid: "new-1", algorithm: .es256, state: .active, activateAt: nil)])
        ),
        (
            .rotate(.immediate), .active,
            .success([.move(kid: "k", from: .active, to: .retiring), .create(kid: "new-1", algorithm: .es256, state: .active, activateAt: nil)])
        ),
        (.tick(now: Self.start), .next, .success([])),
        (.tick(now: Self.start), .active, .success([])),
        (.tick(now: Self.start), .retiring, .success([])),
        (.tick(now: Self.start), .retired, .success([])),
        (.tick(now: Self.start), .revoked, .success([])),
    ]

    @Test func everyStateAndEventIsDecided() throws {
        // The table covers every state for every per-key event and for tick.
        for name in ["activate", "retire", "revoke", "tick"] {
            let states = Set(Self.table.filter { "\($0.0)".hasPrefix(name) }.map(\.1))
            #expect(states == Set(KeyState.allCases), "\(name) is missing states")
        }
        for (event, state, expected) in Self.table {
            var lifecycle = Self.ring(state)
            #expect(Result { () throws(KeyLifecycle.Refusal) in try lifecycle.handle(event) } == expected, "\(event) on a \(state) key")
        }
    }

    @Test(arguments: [KeyState.retiring, .retired, .revoked])
    func aStagedRotationAddsANextKeyBesideAnyOtherState(_ state: KeyState) throws {
        var lifecycle = Self.ring(state)
        let at = Self.start + 60
        #expect(
            try lifecycle.handle(.rotate(.staged, algorithm: .hs256, activateAt: at)) == [
                .create(kid: "new-1", algorithm: .hs256, state: .next, activateAt: at)
            ]
        )
        #expect(lifecycle.next?.kid == "new-1" && lifecycle.active?.kid == "a")
    }

    @Test(arguments: KeyState.allCases)
    func anUnknownKidIsRefusedWhateverTheRingHolds(_ state: KeyState) {
        for event in [KeyLifecycle.Event.activate(kid: "x"), .retire(kid: "x"), .revoke(kid: "x")] {
            var lifecycle = Self.ring(state)
            #expect(throws: KeyLifecycle.Refusal.unknownKey(kid: "x")) { try lifecycle.handle(event) }
            #expect(lifecycle.keys == Self.ring(state).keys)
        }
    }

    @Test func anActivationTimeIsOnlyForAStagedRotationAndInTheFuture() {
        var lifecycle = Self.ring(.active)
        #expect(throws: KeyLifecycle.Refusal.activationTime(reason: "only a staged rotation can be activated later")) {
            try lifecycle.handle(.rotate(.immediate, activateAt: Self.start + 60))
        }
        #expect(throws: KeyLifecycle.Refusal.activationTime(reason: "must be in the future")) {
            try lifecycle.handle(.rotate(.staged, activateAt: Self.start))
        }
    }

    @Test func theRingAndTheStoredKeysAreBounded() throws {
        var lifecycle = Self.ring(.active)
        for _ in 1..<KeyLifecycle.maximumRingKeys { _ = try lifecycle.handle(.rotate(.immediate)) }
        #expect(throws: KeyLifecycle.Refusal.self) { try lifecycle.handle(.rotate(.immediate)) }
        var stored = KeyLifecycle(
            keys: [KeyLifecycle.Key(kid: "a", state: .active)]
                + (1..<KeyLifecycle.maximumStoredKeys).map { KeyLifecycle.Key(kid: "r\($0)", state: .retired, endedAt: Self.start) },
            policy: Self.policy,
            now: Self.start
        )
        #expect(throws: KeyLifecycle.Refusal.self) { try stored.handle(.rotate(.staged)) }
    }

    @Test func aStagedKeyActivatesWhenItsTimeComesAndNotBefore() throws {
        let at = Self.start + 60
        var lifecycle = Self.ring(.next, activateAt: at)
        #expect(try lifecycle.handle(.tick(now: at - 1)) == [])
        #expect(try lifecycle.handle(.tick(now: at)) == [.move(kid: "a", from: .active, to: .retiring), .move(kid: "k", from: .next, to: .active)])
        var manual = Self.ring(.next)
        #expect(try manual.handle(.tick(now: at + 86400)) == [], "a key staged without a time waits for an operator")
    }

    @Test func aRetiringKeyRetiresAfterTheRetentionAndAnEndedKeyIsDroppedOneLater() throws {
        for (state, action) in [
            (KeyState.retiring, KeyLifecycle.Action.move(kid: "k", from: .retiring, to: .retired)), (.retired, .delete(kid: "k")),
            (.revoked, .delete(kid: "k")),
        ] {
            var young = Self.ring(state, age: 600)
            #expect(try young.handle(.tick(now: Self.start)) == [], "\(state) at exactly the retention")
            var old = Self.ring(state, age: 601)
            #expect(try old.handle(.tick(now: Self.start)) == [action], "\(state) past the retention")
        }
    }

    @Test func aScheduledRotationPublishesAheadThenActivatesAtTheEndOfThePeriod() throws {
        var lifecycle = Self.scheduled()
        #expect(try lifecycle.handle(.tick(now: Self.start + 3299)) == [])
        let due = Self.start + 3600
        #expect(try lifecycle.handle(.tick(now: Self.start + 3300)) == [.create(kid: "new-1", algorithm: .es256, state: .next, activateAt: due)])
        #expect(try lifecycle.handle(.tick(now: Self.start + 3400)) == [], "one key is published per period")
        #expect(
            try lifecycle.handle(.tick(now: due)) == [.move(kid: "a", from: .active, to: .retiring), .move(kid: "new-1", from: .next, to: .active)]
        )
    }

    @Test func aScheduledRotationLongOverdueIsPublishedAndActivatedInOneTick() throws {
        var lifecycle = Self.scheduled()
        let now = Self.start + 86400
        #expect(
            try lifecycle.handle(.tick(now: now)) == [
                .create(kid: "new-1", algorithm: .es256, state: .next, activateAt: now),
                .move(kid: "a", from: .active, to: .retiring), .move(kid: "new-1", from: .next, to: .active),
            ]
        )
    }

    /// Random events, each decision run through a fake store: the store ends where the
    /// lifecycle says, there is always exactly one active key, and the ring stays bounded.
    @Test func randomEventsKeepOneActiveKeyAndTheStoreInStep() throws {
        var generator = SeededGenerator(seed: 42)
        var lifecycle = Self.scheduled()
        var store: [String: KeyState] = ["a": .active]
        var seen: Set<String> = []
        var now = Self.start
        for _ in 0..<5000 {
            let kid = lifecycle.keys.randomElement(using: &generator)?.kid ?? "a"
            now += Double(Int.random(in: 0...400, using: &generator))
            let event: KeyLifecycle.Event = [
                .rotate(.immediate), .rotate(.staged, activateAt: now + 100), .activate(kid: kid), .retire(kid: kid), .revoke(kid: kid),
                .tick(now: now),
            ].randomElement(using: &generator)!
            guard let actions = try? lifecycle.handle(event) else { continue }
            for action in actions {
                switch action {
                case .create(let kid, _, let state, _):
                    #expect(store[kid] == nil)
                    store[kid] = state
                    seen.insert("create \(state)")
                case .move(let kid, let from, let to):
                    #expect(store[kid] == from)
                    store[kid] = to
                    seen.insert("\(from) → \(to)")
                case .delete(let kid):
                    store[kid] = nil
                    seen.insert("delete")
                case .revokeRefreshTokens(let kid): #expect(store[kid] == .revoked)
                }
            }
            #expect(store == Dictionary(uniqueKeysWithValues: lifecycle.keys.map { ($0.kid, $0.state) }))
            #expect(store.values.count { $0 == .active } == 1)
            #expect(store.values.count { $0 == .next } <= 1)
            #expect(store.values.count { [.next, .active, .retiring].contains($0) } <= KeyLifecycle.maximumRingKeys)
        }
        // The walk went everywhere, so the checks above mean something.
        let expected: Set<String> = [
            "create active", "create next", "next → active", "active → retiring", "retiring → retired", "next → retired",
            "active → revoked", "next → revoked", "retiring → revoked", "retired → revoked", "delete",
        ]
        #expect(seen.isSuperset(of: expected), "not seen: \(expected.subtracting(seen))")
    }
}
