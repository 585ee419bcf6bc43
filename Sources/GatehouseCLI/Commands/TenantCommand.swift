import ArgumentParser
import GatehouseCore

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
            abstract: "Create a tenant, each environment with one active signing key; prints the tenant as the admin API answers it."
        )

        @Argument(help: "The tenant's slug: [a-z0-9][a-z0-9-]{0,62}.")
        var slug: String

        @Option(name: .customLong("env"), help: "An environment to create (repeatable; default: prod).")
        var environments: [String] = []

        @Option(help: "A display name.")
        var name = ""

        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let tenant = try await self.admin.withAdmin(needsMasterKey: true) { admin in
                try await admin.createTenant(
                    slug: self.slug,
                    name: self.name,
                    environments: self.environments.isEmpty ? nil : self.environments,
                    actor: .cli
                )
            }
            try AdminOptions.print(tenant)
        }
    }
}
