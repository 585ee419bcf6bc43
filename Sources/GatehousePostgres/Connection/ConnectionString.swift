import CLibPQ
import Foundation

/// Keeps passwords out of messages about a connection string.
enum ConnectionString {
    /// Replaces the password of `connectionString`, wherever it appears in `message`, with `***`.
    ///
    /// libpq does not put the password in its own messages, but a message may quote part of a
    /// string it could not parse; this scrubs it either way.
    static func redacting(password connectionString: String, in message: String) -> String {
        var secrets: [String] = []
        var error: UnsafeMutablePointer<CChar>?
        if let options = PQconninfoParse(connectionString, &error) {
            var option = options
            while let keyword = option.pointee.keyword {
                if String(cString: keyword) == "password", let value = option.pointee.val {
                    secrets.append(String(cString: value))
                }
                option += 1
            }
            PQconninfoFree(options)
        }
        if let error { PQfreemem(error) }
        if let uriPassword = self.uriPassword(connectionString) {
            secrets.append(uriPassword)
            secrets.append(uriPassword.removingPercentEncoding ?? uriPassword)
        }
        var redacted = message.trimmingTrailingNewlines
        for secret in secrets where !secret.isEmpty {
            redacted = redacted.replacing(secret, with: "***")
        }
        return redacted
    }

    /// The raw password of a `postgres://user:password@host` URI, even when the URI is malformed.
    private static func uriPassword(_ string: String) -> String? {
        guard let scheme = string.range(of: "://") else { return nil }
        let rest = string[scheme.upperBound...]
        guard let at = rest.lastIndex(of: "@") else { return nil }
        let userInfo = rest[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return nil }
        return String(userInfo[userInfo.index(after: colon)...])
    }
}
