import ArgumentParser
import Foundation
import GatehouseCore

/// `gatehouse tokens flush`: deletes expired refresh-token rows, for cron (the scheduler of
/// `gatehouse serve` does the same every few seconds).
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Maintain refresh-token state.",
        subcommands: [Flush.self]
    )

    /// `gatehouse tokens flush`
    struct Flush: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete the rows of expired refresh tokens; prints {\"refresh_tokens_deleted\": n}."
        )

        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let deleted = try await self.admin.withAdmin { try await $0.purgeExpiredRefreshTokens() }
            try AdminOptions.print(["refresh_tokens_deleted": deleted])
        }
    }
}
