import ArgumentParser
import Foundation
import GatehouseCore

/// `gatehouse audit [--tenant T] [--since TIME] [--action A] [--limit N] [--cursor C]`: the
/// audit log, newest first, as `GET /admin/v1/audit` answers it.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show the audit log, newest first: {\"items\": [...], \"next_cursor\": ...}."
    )

    @Option(help: "A tenant's slug, or the id of a deleted one.")
    var tenant: String?

    @Option(help: "Only events at or after this instant (RFC 3339).")
    var since: String?

    @Option(help: "Only this action, e.g. key.revoke.")
    var action: String?

    @Option(help: "Events per page, 1 to 1000.")
    var limit = 100

    @Option(help: "The next_cursor of the previous page.")
    var cursor: String?

    @OptionGroup var admin: AdminOptions

    func run() async throws {
        var since: Date?
        if let text = self.since {
            guard let date = AdminJSON.parseDate(text) else { throw ValidationError("--since must be an RFC 3339 instant") }
            since = date
        }
        try await self.admin.withAdmin { admin in
            try AdminOptions.print(
                try await admin.listAudit(
                    tenant: self.tenant,
                    since: since,
                    action: self.action,
                    cursor: self.cursor,
                    limit: self.limit,
                    actor: .cli
                )
            )
        }
    }
}
