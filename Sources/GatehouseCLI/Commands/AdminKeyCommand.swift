import ArgumentParser
import Foundation
import GatehouseCore

/// `gatehouse admin-key ...`
struct AdminKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin-key",
        abstract: "Manage admin API keys.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    /// `gatehouse admin-key create --name N [--tenant T]`
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an admin API key; prints it once, as the last line of stdout."
        )

        @Option(help: "What the key is for.")
        var name: String

        @Option(help: "Limit the key to this tenant (default: a global key).")
        var tenant: String?

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await self.database.withClient { client in
                var tenantID: UUID?
                if let tenant = self.tenant {
                    guard let id = try await TenantStore(database: client).id(of: tenant) else {
                        throw ValidationError("no tenant \(tenant)")
                    }
                    tenantID = id
                }
                do {
                    print(try await AdminAPIKeyStore(database: client).create(name: self.name, tenantID: tenantID))
                } catch AdminError.invalid(field: "name", _) {
                    throw ValidationError("--name must be 1 to 200 characters")
                }
            }
        }
    }

    /// `gatehouse admin-key list`
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List admin API keys (never their secrets).")

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await self.database.withClient { client in
                try AdminOptions.print(Page(items: try await AdminAPIKeyStore(database: client).list(), nextCursor: nil))
            }
        }
    }

    /// `gatehouse admin-key revoke ID`
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an admin API key: it stops working at once.")

        @Argument(help: "The key's id (from list), or the key itself.")
        var key: String

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            guard let id = AdminAPIKeyStore.id(of: self.key) else { throw ValidationError("\(self.key) is not an admin key id") }
            try await self.database.withClient { client in
                guard try await AdminAPIKeyStore(database: client).revoke(id: id) else { throw ValidationError("no admin key \(self.key)") }
                print(id.uuidString.lowercased())
            }
        }
    }
}
