import Testing

@testable import GatehousePostgres

/// The pool's decisions, with fake connections and waiters: no database.
@Suite(.timeLimit(.minutes(1))) struct PoolStateTests {
    typealias State = PoolState<String, String>

    static func connection(_ taken: State.Taken) -> String? {
        if case .connection(let connection) = taken { return connection }
        return nil
    }

    @Test func connectionsAreMadeUpToTheSizeThenCallersWait() {
        var state = State(size: 2)
        #expect(Self.isCreate(state.take()) && Self.isCreate(state.take()))
        #expect(Self.isWait(state.take()))
        #expect(state.created == 2)
    }

    @Test func theMostRecentlyReturnedIdleConnectionIsLentFirst() {
        var state = State(size: 2)
        _ = state.take()
        _ = state.take()
        #expect(Self.isPooled(state.give(back: "c1")) && Self.isPooled(state.give(back: "c2")))
        #expect(Self.connection(state.take()) == "c2")
        #expect(Self.connection(state.take()) == "c1")
        #expect(Self.isWait(state.take()))
    }

    @Test func aReturnedConnectionGoesToTheLongestWaiter() {
        var state = State(size: 1)
        _ = state.take()
        #expect(Self.isWait(state.enqueue("first", id: state.nextWaiterID())))
        #expect(Self.isWait(state.enqueue("second", id: state.nextWaiterID())))
        #expect(Self.handedTo(state.give(back: "c")) == "first")
        #expect(Self.handedTo(state.give(back: "c")) == "second")
        #expect(Self.isPooled(state.give(back: "c")))
        #expect(state.idle == ["c"] && state.waiters.isEmpty && state.created == 1)
    }

    @Test func aWaiterThatLeavesTheLineIsNeverServed() {
        var state = State(size: 1)
        _ = state.take()
        let first = state.nextWaiterID()
        _ = state.enqueue("first", id: first)
        _ = state.enqueue("second", id: state.nextWaiterID())
        #expect(state.removeWaiter(id: first) == "first")
        #expect(state.removeWaiter(id: first) == nil, "a waiter is removed once: a timeout racing a cancellation resumes it once")
        #expect(Self.handedTo(state.give(back: "c")) == "second")
    }

    @Test func aConnectionFreedBeforeTheWaiterQueuesIsLentAtOnce() {
        var state = State(size: 1)
        _ = state.take()
        #expect(Self.isPooled(state.give(back: "c")))
        #expect(Self.connection(state.enqueue("late", id: state.nextWaiterID())) == "c")
        #expect(state.waiters.isEmpty)
    }

    @Test func closingFailsTheWaitersClosesTheIdleAndLaterReturns() {
        var state = State(size: 3)
        _ = state.take()
        _ = state.take()
        _ = state.take()
        _ = state.give(back: "idle")
        _ = state.take()
        _ = state.enqueue("waiting", id: state.nextWaiterID())
        _ = state.give(back: "handed")  // to the waiter
        _ = state.give(back: "idle")
        let (waiters, idle) = state.close()
        #expect(waiters.isEmpty && idle == ["idle"])
        #expect(state.created == 2, "two are still lent out")
        #expect(Self.isClosed(state.give(back: "a")) && Self.isClosed(state.give(back: "b")))
        #expect(state.created == 0)
        #expect(Self.isClosed(state.take()) && Self.isClosed(state.enqueue("after", id: state.nextWaiterID())))
        #expect(state.waiters.isEmpty)
    }

    @Test func closingHandsBackEveryWaiter() {
        var state = State(size: 1)
        _ = state.take()
        _ = state.enqueue("w1", id: state.nextWaiterID())
        _ = state.enqueue("w2", id: state.nextWaiterID())
        #expect(state.close().waiters == ["w1", "w2"])
    }

    /// Random takes, waits, returns and departures: connections never exceed the size, every
    /// one is idle or lent, and nobody waits while a connection sits idle.
    @Test func randomUseKeepsTheBooksBalanced() {
        var state = State(size: 4)
        var lent: [String] = []
        var waiting: [Int] = []
        var made = 0
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<10_000 {
            switch Int.random(in: 0..<4, using: &generator) {
            case 0:
                let id = state.nextWaiterID()
                switch state.enqueue("w\(id)", id: id) {
                case .connection(let connection): lent.append(connection)
                case .create:
                    made += 1
                    lent.append("c\(made)")
                case .wait: waiting.append(id)
                case .closed: Issue.record("closed")
                }
            case 1, 2:
                guard !lent.isEmpty else { continue }
                let connection = lent.remove(at: Int.random(in: 0..<lent.count, using: &generator))
                switch state.give(back: connection) {
                case .handedTo(let waiter):
                    waiting.removeAll { "w\($0)" == waiter }
                    lent.append(connection)
                case .pooled: break
                case .closed: Issue.record("closed")
                }
            default:
                guard let id = waiting.randomElement(using: &generator) else { continue }
                #expect(state.removeWaiter(id: id) == "w\(id)")
                waiting.removeAll { $0 == id }
            }
            #expect(state.created <= 4 && state.created == state.idle.count + lent.count)
            #expect(state.idle.isEmpty || state.waiters.isEmpty)
            #expect(state.waiters.map(\.id) == waiting)
        }
    }

    static func isCreate(_ taken: State.Taken) -> Bool { if case .create = taken { true } else { false } }
    static func isWait(_ taken: State.Taken) -> Bool { if case .wait = taken { true } else { false } }
    static func isClosed(_ taken: State.Taken) -> Bool { if case .closed = taken { true } else { false } }
    static func isPooled(_ returned: State.Returned) -> Bool { if case .pooled = returned { true } else { false } }
    static func isClosed(_ returned: State.Returned) -> Bool { if case .closed = returned { true } else { false } }
    static func handedTo(_ returned: State.Returned) -> String? { if case .handedTo(let waiter) = returned { waiter } else { nil } }
}
