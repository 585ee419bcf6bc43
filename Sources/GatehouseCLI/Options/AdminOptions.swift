import ArgumentParser
import Foundation
import GatehouseCore
import NIOCore
import NIOPosix

/// What the operators' commands share: the database, and the same ``AdminService`` the
/// admin API uses, acting as `cli` in the audit log.
struct AdminOptions: ParsableArguments {
    @OptionGroup var database: DatabaseOptions

    /// Runs `body` with an ``AdminService``; `needsMasterKey` for commands that create keys.
    func withAdmin<Result>(needsMasterKey: Bool = false, _ body: (AdminService) async throws -> Result) async throws -> Result {
        let masterKey: MasterKey?
        if needsMasterKey || ProcessInfo.processInfo.environment["GATEHOUSE_MASTER_KEY"] != nil {
            masterKey = try MasterKeyOption.load()
        } else {
            masterKey = nil
        }
        let hashing = NIOThreadPool(numberOfThreads: System.coreCount)
        hashing.start()
        defer { hashing.shutdownGracefully { _ in } }
        let hasher = try PasswordHasher(threadPool: hashing, bulkThreads: max(1, System.coreCount / 2))
        return try await self.database.withClient { client in
            try await body(
                AdminService(
                    database: client,
                    keys: SigningKeyStore(masterKey: masterKey),
                    hasher: hasher,
                    publicURL: ProcessInfo.processInfo.environment["GATEHOUSE_PUBLIC_URL"] ?? "http://127.0.0.1:8080"
                )
            )
        }
    }

    /// Prints `value` as the admin API answers it.
    static func print(_ value: some Encodable) throws {
        FileHandle.standardOutput.write(try AdminJSON.encode(value) + Data("\n".utf8))
    }
}
