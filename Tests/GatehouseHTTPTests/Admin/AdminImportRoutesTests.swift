import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import HTTPTypes
import Testing

/// Bulk import: a report of every line that was not created, and why.
@Suite(.timeLimit(.minutes(5))) struct AdminImportRoutesTests {
    /// Django's PBKDF2 hash of "secret".
    static let django = "pbkdf2_sha256$1000$seasalt$+hs9qSCcGyNSGDNojIEbomuX9WI/mzTF5yfwAXqyKOo="

    @Test func anImportWithMixedLinesCreatesTheGoodOnesAndSaysWhyNotTheRest() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                let lines = [
                    #"{"username": "bea", "password": "pw", "role": "staff", "claims": {"team": "red"}}"#,
                    #"{"username": "cid", "password_hash": "\#(Self.django)"}"#,
                    #"{"username": "dot"#,
                    #"{"password": "pw"}"#,
                    "",
                    #"{"username": "eve", "password": "pw", "password_hash": "\#(Self.django)"}"#,
                    #"{"username": "fay", "password": "pw", "shoe": 42}"#,
                    #"{"username": "gus", "password_hash": "md5$abc"}"#,
                    #"{"username": "bea", "password": "other"}"#,
                    #"{"username": "alice", "password": "pw"}"#,
                    #"{"username": "hal", "password": "pw", "is_active": false}"#,
                    #"[1, 2]"#,
                    // Django's Argon2 format: its PHC string behind "argon2".
                    #"{"username": "dee", "password_hash": "argon2\#(try await TestDeployment.hasher().hash("argon"))"}"#,
                ].joined(separator: "\n")
                var raw = admin.http
                raw.base = "/admin/v1"
                let report = try await raw.send(
                    .post,
                    "/tenants/demo/users/import",
                    body: lines,
                    contentType: "application/x-ndjson",
                    bearer: admin.key
                )
                #expect(report.status == .ok)
                #expect(report.json["created"] == 4 && report.json["skipped"] == 2 && report.json["failed"] == 6, "\(report.json)")
                guard case .array(let entries) = report.json["lines"] else {
                    Issue.record("no lines")
                    return
                }
                let summary = entries.compactMap(\.objectValue).map { "\($0["line"]!.integerValue!) \($0["status"]!.stringValue!)" }
                #expect(summary == ["3 failed", "4 failed", "6 failed", "7 failed", "8 failed", "9 skipped", "10 skipped", "12 failed"])
                let reasons = entries.compactMap { $0.objectValue?["reason"]?.stringValue }
                #expect(reasons.contains { $0.contains("unknown field shoe") } && reasons.contains("repeats line 1"))
                #expect(reasons.contains("username exists"))

                // What was created works: roles, claims, Django hashes, inactive users.
                let bea = try await admin.realm().post("/api/token/", json: ["username": "bea", "password": "pw"])
                #expect(TokenInspection.claims(try #require(bea["access"]))["team"] == "red")
                #expect(try await admin.realm().post("/api/token/", json: ["username": "hal", "password": "pw"]).code == "no_active_account")
                _ = try await admin.realm().login("cid", "secret")
                _ = try await admin.realm().login("dee", "argon")
                #expect(try await admin.realm().post("/api/token/", json: ["username": "cid", "password": "Secret"]).code == "no_active_account")
                // alice was skipped, not overwritten.
                _ = try await admin.realm().login("alice", "secret")
                // Running the same import again creates nothing.
                let again = try await raw.send(
                    .post,
                    "/tenants/demo/users/import",
                    body: lines,
                    contentType: "application/x-ndjson",
                    bearer: admin.key
                )
                #expect(again.json["created"] == 0 && again.json["skipped"] == 6)
                let wrongType = try await raw.send(.post, "/tenants/demo/users/import", body: lines, contentType: "image/png", bearer: admin.key)
                #expect(wrongType.status == .unsupportedMediaType)
                #expect(try await raw.send(.post, "/tenants/demo/users/import?batch_size=0", body: lines, bearer: admin.key).status == .badRequest)
            }
        }
    }

    @Test func hashesBeyondTheCostBoundsAndNulBytesFailTheirLineWithTheReason() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                let salt = "c2FsdHNhbHRzYWx0c2FsdA"
                let tag = "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
                let lines = [
                    #"{"username": "t1", "password_hash": "$argon2id$v=19$m=19456,t=4294967295,p=1$\#(salt)$\#(tag)"}"#,
                    #"{"username": "m1", "password_hash": "argon2$argon2id$v=19$m=4194304,t=1,p=1$\#(salt)$\#(tag)"}"#,
                    #"{"username": "p1", "password_hash": "pbkdf2_sha256$100000000$salty$\#(Data(repeating: 1, count: 32).base64EncodedString())"}"#,
                    #"{"username": "n1", "password": "pw", "claims": {"x": "\u0000"}}"#,
                    #"{"username": "ok", "password_hash": "\#(Self.django)"}"#,
                ].joined(separator: "\n")
                var raw = admin.http
                raw.base = "/admin/v1"
                let report = try await raw.send(.post, "/tenants/demo/users/import", body: lines, bearer: admin.key)
                #expect(report.status == .ok)
                #expect(report.json["created"] == 1 && report.json["failed"] == 4, "\(report.json)")
                guard case .array(let entries) = report.json["lines"] else {
                    Issue.record("no lines: \(report.json)")
                    return
                }
                let reasons = entries.compactMap { $0.objectValue?["reason"]?.stringValue }
                #expect(reasons.filter { $0.contains("cost beyond the bounds") }.count == 3, "\(reasons)")
                #expect(reasons.contains { $0.contains("NUL") }, "\(reasons)")
            }
        }
    }

    @Test func eachBatchIsWrittenWholeOrNotAtAll() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                // Every line passes the line checks; a trigger makes the database refuse a2.
                try await deployment.database.query(
                    """
                    CREATE FUNCTION refuse_a2() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN IF NEW.username = 'a2' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$
                    """
                )
                try await deployment.database.query("CREATE TRIGGER refuse_a2 BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION refuse_a2()")
                let lines = [
                    #"{"username": "a1", "password_hash": "\#(Self.django)"}"#,
                    #"{"username": "a2", "password_hash": "\#(Self.django)"}"#,
                    #"{"username": "b1", "password_hash": "\#(Self.django)"}"#,
                ].joined(separator: "\n")
                var raw = admin.http
                raw.base = "/admin/v1"
                let report = try await raw.send(.post, "/tenants/demo/users/import?batch_size=2", body: lines, bearer: admin.key)
                #expect(report.json["created"] == 1 && report.json["failed"] == 2, "\(report.json)")
                let names = try await admin.call(.get, "/tenants/demo/users").items.compactMap { $0["username"]?.stringValue }
                #expect(names == ["alice", "b1"])
            }
        }
    }
}
