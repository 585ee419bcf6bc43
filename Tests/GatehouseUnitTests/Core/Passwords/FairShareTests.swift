import Foundation
import GatehouseCore
import Synchronization
import Testing

/// Bulk hashing's share of the threads goes round the tenants: one tenant's long import
/// does not make another's wait behind all of it.
@Suite(.timeLimit(.minutes(5))) struct FairShareTests {
    /// Who was served, in order, and whether the first holder holds its permit.
    final class Record: Sendable {
        let served = Mutex<[UUID]>([])
        let holding = Atomic<Bool>(false)
    }

    @Test(.timeLimit(.minutes(1)))
    func aTenantWaitsBehindOneItemOfEachOtherNotBehindAllOfThem() async throws {
        let share = FairShare(permits: 1)
        let big = UUID()
        let small = UUID()
        let record = Record()
        let (release, holder) = AsyncStream.makeStream(of: Void.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The permit is held while everybody queues: big's ten items first, then small's one.
            group.addTask {
                try await share.withPermit(for: big) {
                    record.holding.store(true, ordering: .sequentiallyConsistent)
                    for await _ in release { break }
                }
            }
            try await Self.until { record.holding.load(ordering: .sequentiallyConsistent) }
            for index in 0..<10 {
                group.addTask { try await share.withPermit(for: big) { record.served.withLock { $0.append(big) } } }
                try await Self.until { share.waiting == index + 1 }
            }
            group.addTask { try await share.withPermit(for: small) { record.served.withLock { $0.append(small) } } }
            try await Self.until { share.waiting == 11 }
            holder.yield()
            try await group.waitForAll()
        }
        let served = record.served.withLock { $0 }
        #expect(served.count == 11)
        #expect(served.firstIndex(of: small) == 1, "small was served at \(served.firstIndex(of: small) ?? -1)")
    }

    static func until(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
