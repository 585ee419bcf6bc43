import Foundation
public import GatehousePostgres
import NIOCore
import NIOPosix
import Synchronization

/// Group commit for refresh-token rotations: rotations that arrive while others are being
/// written wait, and go to the database together, in one statement and one commit
/// (``RefreshTokenStore/rotate(on:_:)``), as soon as a statement finishes.
///
/// A lone rotation goes at once, so nothing waits on a quiet server; under load each
/// commit, and its WAL flush, carries many rotations. Every rotation is still decided once,
/// by the database: a batch never holds one token twice, and no two batches in flight hold
/// the same token. A refresh that presents a token already queued or in flight rides along
/// with it (a twin): when that rotation is decided the twin is refused, since the token is
/// spent either way, and when it fails the twin fails the same way.
///
/// Each refresh goes on, after its statement, on the event loop it came from. The process's
/// tasks run on the event loops, and a task resumed from a loop stays on that loop: resumed
/// where the statement finished, a whole batch's signing would queue on one loop while the
/// other idled.
public final class RefreshGroupCommit: Sendable {
    public typealias Key = RefreshTokenStore.Rotation.Key

    private struct State {
        /// Rotations not sent yet, oldest first.
        var queue: [RefreshTokenStore.Rotation] = []
        /// For each token queued or in flight: who waits for it, the first one its owner.
        var waiting: [Key: [Waiter]] = [:]
        /// Statements being written.
        var running = 0

        /// The next batch, when a statement may start: at most `limit` rotations, oldest
        /// first. Counts it as running.
        mutating func nextBatch(running maximum: Int, limit: Int) -> [RefreshTokenStore.Rotation]? {
            guard self.running < maximum, !self.queue.isEmpty else { return nil }
            self.running += 1
            let batch = Array(self.queue.prefix(limit))
            self.queue.removeFirst(batch.count)
            return batch
        }
    }

    /// A refresh waiting for its rotation to be decided, and the event loop to resume it on.
    private struct Waiter {
        var continuation: CheckedContinuation<User?, any Error>
        var loop: (any EventLoop)?

        func resume(with result: Result<User?, any Error>) {
            guard let loop = self.loop, !loop.inEventLoop else { return self.continuation.resume(with: result) }
            loop.execute { self.continuation.resume(with: result) }
        }
    }

    private let database: PostgresClient
    private let store: RefreshTokenStore
    private let maximumRunning: Int
    private let maximumBatch: Int
    private let state = Mutex(State())

    /// - Parameters:
    ///   - database: where the rotations are written.
    ///   - store: the statement.
    ///   - maximumRunning: statements written at once; a rotation waits while this many are.
    ///     One is the fastest measured (deploy/bench/token-api.sh): the more rotations wait,
    ///     the more each statement and its WAL flush carry.
    ///   - maximumBatch: the most rotations in one statement.
    public init(database: PostgresClient, store: RefreshTokenStore = RefreshTokenStore(), maximumRunning: Int = 1, maximumBatch: Int = 64) {
        self.database = database
        self.store = store
        self.maximumRunning = max(1, maximumRunning)
        self.maximumBatch = max(1, maximumBatch)
    }

    /// How many rotations wait for a statement to start.
    public var queued: Int {
        self.state.withLock { $0.queue.count }
    }

    /// Rotates `rotation.old` into `rotation.new`, in a statement shared with the rotations
    /// that arrive with it, and answers the token's user; `nil` when the rotation matched
    /// nothing (the token was spent or revoked, or its user cannot refresh).
    public func rotate(_ rotation: RefreshTokenStore.Rotation) async throws -> User? {
        try await withCheckedThrowingContinuation { continuation in
            let waiter = Waiter(continuation: continuation, loop: MultiThreadedEventLoopGroup.currentEventLoop)
            let batch = self.state.withLock { state -> [RefreshTokenStore.Rotation]? in
                if state.waiting[rotation.key] != nil {
                    state.waiting[rotation.key]?.append(waiter)
                    return nil
                }
                state.waiting[rotation.key] = [waiter]
                state.queue.append(rotation)
                return state.nextBatch(running: self.maximumRunning, limit: self.maximumBatch)
            }
            if let batch {
                Task { await self.write(batch) }
            }
        }
    }

    /// Writes `batch`, then each batch that queued meanwhile, until the queue is empty.
    private func write(_ batch: [RefreshTokenStore.Rotation]) async {
        var batch = batch
        while true {
            let outcomes = await self.decide(batch)
            let next = self.state.withLock { state -> [RefreshTokenStore.Rotation]? in
                state.running -= 1
                return state.nextBatch(running: self.maximumRunning, limit: self.maximumBatch)
            }
            let waiting = self.state.withLock { state in batch.map { state.waiting.removeValue(forKey: $0.key) ?? [] } }
            for (rotation, waiters) in zip(batch, waiting) {
                for (index, waiter) in waiters.enumerated() {
                    switch outcomes[rotation.key] ?? .success(nil) {
                    case .success(let user): waiter.resume(with: .success(index == 0 ? user : nil))
                    case .failure(let error): waiter.resume(with: .failure(error))
                    }
                }
            }
            guard let next else { return }
            batch = next
        }
    }

    /// Each rotation's outcome. A statement that fails for a reason other than the database
    /// being unavailable is tried again rotation by rotation, so one rotation's failure is
    /// its own; a deadlock with another instance's statement is tried again as it was.
    private func decide(_ batch: [RefreshTokenStore.Rotation]) async -> [Key: Result<User?, any Error>] {
        do {
            let owners = try await self.retryingDeadlocks { try await self.database.withConnection { try await self.store.rotate(on: $0, batch) } }
            return Dictionary(uniqueKeysWithValues: batch.map { ($0.key, .success(owners[$0.key])) })
        } catch let error as PostgresError where batch.count > 1 && !error.isUnavailable {
            var outcomes: [Key: Result<User?, any Error>] = [:]
            for rotation in batch {
                do {
                    let owners = try await self.retryingDeadlocks {
                        try await self.database.withConnection { try await self.store.rotate(on: $0, [rotation]) }
                    }
                    outcomes[rotation.key] = .success(owners[rotation.key])
                } catch {
                    outcomes[rotation.key] = .failure(error)
                }
            }
            return outcomes
        } catch {
            return Dictionary(uniqueKeysWithValues: batch.map { ($0.key, .failure(error)) })
        }
    }

    /// `body`, tried again (up to three times in all) when PostgreSQL broke a deadlock by
    /// failing it: the statement was rolled back whole, so trying again decides afresh.
    private func retryingDeadlocks<T>(_ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error as PostgresError where error.sqlState == .deadlockDetected && attempt < 3 {
                attempt += 1
            }
        }
    }
}
