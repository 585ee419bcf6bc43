import ArgumentParser
import Foundation
import GatehouseCore
import GatehousePostgres

/// `gatehouse tenant ...`
struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Manage tenants.",
        subcommands: [Create.self]
    )

    /// `gatehouse tenant create SLUG [--env E]...`
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tenant, each environment with one active signing key; prints the tenant's id."
        )

        @Argument(help: "The tenant's slug: [a-z0-9][a-z0-9-]{0,62}.")
        var slug: String

        @Option(name: .customLong("env"), help: "An environment to create (repeatable; default: prod).")
        var environments: [String] = []

        @Option(help: "A display name.")
        var name = ""

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let masterKey = try MasterKeyOption.load()
            try await self.database.withClient { client in
                do {
                    let id = try await TenantStore(database: client).create(
                        slug: self.slug,
                        name: self.name,
                        environments: self.environments.isEmpty ? ["prod"] : self.environments,
                        keys: SigningKeyStore(masterKey: masterKey)
                    )
                    print(id.uuidString.lowercased())
                } catch let error as PostgresError where error.sqlState == .uniqueViolation {
                    throw ValidationError("tenant \(self.slug) already exists")
                } catch let error as PostgresError where error.sqlState == .checkViolation {
                    throw ValidationError("invalid slug: tenants and environments are named [a-z0-9][a-z0-9-]{0,62}")
                }
            }
        }
    }
}
