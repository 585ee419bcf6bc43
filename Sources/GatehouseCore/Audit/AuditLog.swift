public import Foundation
public import GatehousePostgres

/// The audit log: who did what to which tenant, and when. Never secrets: callers pass the
/// names of changed fields, counts and ids, not values such as passwords or keys.
public struct AuditLog: Sendable {
    /// One recorded event.
    public struct Event: Sendable, Encodable {
        public var id: Int64
        public var tenantID: UUID?
        public var occurredAt: Date
        public var actor: String
        public var action: String
        public var target: String?
        public var details: [String: JSONValue]

        enum CodingKeys: String, CodingKey {
            case id
            case tenantID = "tenant_id"
            case occurredAt = "occurred_at"
            case actor
            case action
            case target
            case details
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.id, forKey: .id)
            try container.encodeID(self.tenantID, forKey: .tenantID)
            try container.encode(self.occurredAt, forKey: .occurredAt)
            try container.encode(self.actor, forKey: .actor)
            try container.encode(self.action, forKey: .action)
            try container.encode(self.target, forKey: .target)
            try container.encode(self.details, forKey: .details)
        }
    }

    /// Which events to list.
    public struct Filter: Sendable {
        public var tenantID: UUID?
        public var since: Date?
        public var action: String?
        /// Events older than this id (the cursor of the previous page).
        public var before: Int64?
        public var limit: Int

        public init(tenantID: UUID? = nil, since: Date? = nil, action: String? = nil, before: Int64? = nil, limit: Int = 100) {
            self.tenantID = tenantID
            self.since = since
            self.action = action
            self.before = before
            self.limit = limit
        }
    }

    public init() {}

    /// Records an event, inside the caller's transaction so it commits with the action.
    public func record(
        on connection: PostgresConnection,
        actor: AdminActor,
        tenantID: UUID?,
        action: String,
        target: String? = nil,
        details: [String: JSONValue] = [:]
    ) async throws {
        try await connection.query(
            """
            INSERT INTO audit_log (tenant_id, actor, action, target, details)
            VALUES (\(tenantID), \(actor.name), \(action), \(target), \(PostgresJSONB(JSONValue.object(details).jsonText)))
            """
        )
    }

    /// Events matching `filter`, newest first.
    public func list(on connection: PostgresConnection, _ filter: Filter) async throws -> [Event] {
        try await connection.query(
            """
            SELECT id, tenant_id, occurred_at, actor, action, target, details FROM audit_log
            WHERE (\(filter.tenantID)::uuid IS NULL OR tenant_id = \(filter.tenantID))
              AND (\(filter.since)::timestamptz IS NULL OR occurred_at >= \(filter.since))
              AND (\(filter.action)::text IS NULL OR action = \(filter.action))
              AND (\(filter.before)::int8 IS NULL OR id < \(filter.before))
            ORDER BY id DESC LIMIT \(filter.limit)
            """
        ).map { row in
            let (id, tenantID, occurredAt, actor, action, target, details) = try row.decode(
                (Int64, UUID?, Date, String, String, String?, PostgresJSONB).self
            )
            return Event(
                id: id,
                tenantID: tenantID,
                occurredAt: occurredAt,
                actor: actor,
                action: action,
                target: target,
                details: details.object
            )
        }
    }
}
