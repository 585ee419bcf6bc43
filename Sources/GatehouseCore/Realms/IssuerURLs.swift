/// The deployment's public base URL and the issuer URL of each realm built from it,
/// `{base}/t/{tenant}/{environment}` (contract section 2): the one place that spells it.
public struct IssuerURLs: Sendable, Equatable {
    /// The public base URL, without a trailing slash.
    public let base: String

    /// - Parameter publicURL: the base, as configured (`GATEHOUSE_PUBLIC_URL`); a trailing slash is dropped.
    public init(publicURL: String) {
        self.base = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
    }

    /// The `iss` of a realm's tokens.
    public func issuer(tenant: String, environment: String) -> String {
        "\(self.base)/t/\(tenant)/\(environment)"
    }
}
