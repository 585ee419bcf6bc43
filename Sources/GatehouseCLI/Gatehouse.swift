public import ArgumentParser

/// The `gatehouse` command line.
public struct Gatehouse: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "gatehouse",
        abstract: "A multi-tenant authentication tier.",
        subcommands: [
            MigrateCommand.self, ServeCommand.self, AdminKeyCommand.self, TenantCommand.self, UserCommand.self, KeysCommand.self,
            RevokeCommand.self, AuditCommand.self, TokensCommand.self,
        ]
    )

    public init() {}
}
