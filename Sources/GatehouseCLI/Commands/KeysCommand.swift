import ArgumentParser
import Foundation
import GatehouseCore

/// `gatehouse keys list|rotate|activate|retire|revoke`: an environment's key ring, as the
/// admin API's `/keys` routes manage it; each prints the same JSON the API answers.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Inspect and rotate an environment's signing keys.",
        subcommands: [List.self, Rotate.self, Activate.self, Retire.self, Revoke.self]
    )

    struct Environment: ParsableArguments {
        @Option(help: "The tenant's slug.")
        var tenant: String

        @Option(name: .customLong("env"), help: "The environment's slug.")
        var environment: String
    }

    /// `gatehouse keys list --tenant T --env E`
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys: kid, alg, state, timestamps, public JWK.")

        @OptionGroup var target: Environment
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            try await self.admin.withAdmin { admin in
                try AdminOptions.print(try await admin.listKeys(tenant: self.target.tenant, environment: self.target.environment, actor: .cli))
            }
        }
    }

    /// `gatehouse keys rotate --tenant T --env E [--staged [--activate-at TIME]] [--alg A]`
    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rotate: a new key signs now and the old one retires, or with --staged the new key is published as next."
        )

        @OptionGroup var target: Environment

        @Flag(help: "Publish the new key as next instead of signing with it now.")
        var staged = false

        @Option(help: "With --staged: when the scheduler activates it (RFC 3339).")
        var activateAt: String?

        @Option(help: "The new key's algorithm: ES256, EdDSA, RS256 or HS256 (default: the environment's).")
        var alg: String?

        @OptionGroup var admin: AdminOptions

        func run() async throws {
            var algorithm: SigningAlgorithm?
            if let alg = self.alg {
                guard let chosen = SigningAlgorithm(rawValue: alg) else { throw ValidationError("--alg must be one of ES256, EdDSA, RS256, HS256") }
                algorithm = chosen
            }
            var activateAt: Date?
            if let text = self.activateAt {
                guard let date = AdminJSON.parseDate(text) else { throw ValidationError("--activate-at must be an RFC 3339 instant") }
                activateAt = date
            }
            try await self.admin.withAdmin(needsMasterKey: true) { admin in
                try AdminOptions.print(
                    try await admin.rotateKeys(
                        tenant: self.target.tenant,
                        environment: self.target.environment,
                        mode: self.staged ? .staged : .immediate,
                        algorithm: algorithm,
                        activateAt: activateAt,
                        actor: .cli
                    )
                )
            }
        }
    }

    /// `gatehouse keys activate --tenant T --env E KID`
    struct Activate: KeyTransition {
        static let configuration = CommandConfiguration(abstract: "Activate the next key; the active one starts retiring.")
        static let needsMasterKey = false

        static func apply(_ admin: AdminService, _ target: Environment, _ kid: String) async throws -> KeyRecord {
            try await admin.activateKey(tenant: target.tenant, environment: target.environment, kid: kid, actor: .cli)
        }

        @OptionGroup var target: Environment
        @Argument(help: "The key's kid.") var kid: String
        @OptionGroup var admin: AdminOptions
    }

    /// `gatehouse keys retire --tenant T --env E KID`
    struct Retire: KeyTransition {
        static let configuration = CommandConfiguration(abstract: "Retire a next or retiring key now: it stops verifying.")
        static let needsMasterKey = false

        static func apply(_ admin: AdminService, _ target: Environment, _ kid: String) async throws -> KeyRecord {
            try await admin.retireKey(tenant: target.tenant, environment: target.environment, kid: kid, actor: .cli)
        }

        @OptionGroup var target: Environment
        @Argument(help: "The key's kid.") var kid: String
        @OptionGroup var admin: AdminOptions
    }

    /// `gatehouse keys revoke --tenant T --env E KID`
    struct Revoke: KeyTransition {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key: its tokens stop verifying at once; an active key is replaced by a new one."
        )
        static let needsMasterKey = true

        static func apply(_ admin: AdminService, _ target: Environment, _ kid: String) async throws -> KeyRecord {
            try await admin.revokeKey(tenant: target.tenant, environment: target.environment, kid: kid, actor: .cli)
        }

        @OptionGroup var target: Environment
        @Argument(help: "The key's kid.") var kid: String
        @OptionGroup var admin: AdminOptions
    }
}

/// A command that moves one key to another state, printing the key as the admin API does.
protocol KeyTransition: AsyncParsableCommand {
    /// Makes the change through the ``AdminService``.
    static func apply(_ admin: AdminService, _ target: KeysCommand.Environment, _ kid: String) async throws -> KeyRecord
    /// Whether the change may create a key (revoking the active one replaces it).
    static var needsMasterKey: Bool { get }
    var target: KeysCommand.Environment { get }
    var kid: String { get }
    var admin: AdminOptions { get }
}

extension KeyTransition {
    func run() async throws {
        try await self.admin.withAdmin(needsMasterKey: Self.needsMasterKey) { admin in
            try AdminOptions.print(try await Self.apply(admin, self.target, self.kid))
        }
    }
}
