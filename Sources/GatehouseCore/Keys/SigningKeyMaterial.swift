import Crypto
import CryptoExtras
public import Foundation
public import JWTKit

/// The secret half of a signing key, as it is sealed in the database: a PEM private key
/// for ES256, EdDSA and RS256, the raw secret for HS256.
public struct SigningKeyMaterial: Sendable {
    public let algorithm: SigningAlgorithm
    public let secret: Data

    public init(algorithm: SigningAlgorithm, secret: Data) {
        self.algorithm = algorithm
        self.secret = secret
    }

    /// A new random key.
    public static func generate(_ algorithm: SigningAlgorithm) throws -> SigningKeyMaterial {
        switch algorithm {
        case .es256:
            return SigningKeyMaterial(algorithm: algorithm, secret: Data(ES256PrivateKey().pemRepresentation.utf8))
        case .eddsa:
            return SigningKeyMaterial(algorithm: algorithm, secret: Data(try EdDSA.PrivateKey(curve: .ed25519).pemRepresentation.utf8))
        case .rs256:
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            return SigningKeyMaterial(algorithm: algorithm, secret: Data(key.pemRepresentation.utf8))
        case .hs256:
            return SigningKeyMaterial(algorithm: algorithm, secret: SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
        }
    }

    /// A new random key identifier: 128 bits, base64url.
    public static func newKid() -> String {
        Base64URL.random(bits: 128)
    }

    /// The public JWK (RFC 7517) of an asymmetric key, with `kid`, `alg` and `use`; `nil` for HS256.
    public func publicJWK(kid: String) throws -> [String: JSONValue]? {
        var jwk: [String: JSONValue] = ["kid": .string(kid), "alg": .string(self.algorithm.rawValue), "use": .string("sig")]
        switch self.algorithm {
        case .es256:
            guard let parameters = try ES256PrivateKey(pem: self.pem).parameters else {
                throw KeyError(message: "ES256 key \(kid) has no public parameters")
            }
            jwk["kty"] = .string("EC")
            jwk["crv"] = .string("P-256")
            jwk["x"] = .string(parameters.x)
            jwk["y"] = .string(parameters.y)
        case .eddsa:
            jwk["kty"] = .string("OKP")
            jwk["crv"] = .string("Ed25519")
            jwk["x"] = .string(Base64URL.encode(try EdDSA.PrivateKey(pem: self.pem).publicKey.rawRepresentation))
        case .rs256:
            let (modulus, exponent) = try Insecure.RSA.PrivateKey(pem: self.pem).publicKey.getKeyPrimitives()
            jwk["kty"] = .string("RSA")
            jwk["n"] = .string(Base64URL.encode(modulus))
            jwk["e"] = .string(Base64URL.encode(exponent))
        case .hs256:
            return nil
        }
        return jwk
    }

    /// jwt-kit's signer for this key, taken out of a one-key collection so that signing and
    /// verifying with it never pass through the collection's actor.
    public func signer(kid: String) async throws -> any JWTAlgorithm {
        let keys = JWTKeyCollection()
        let identifier = JWKIdentifier(string: kid)
        switch self.algorithm {
        case .es256: await keys.add(ecdsa: try ES256PrivateKey(pem: self.pem), kid: identifier)
        case .eddsa: await keys.add(eddsa: try EdDSA.PrivateKey(pem: self.pem), kid: identifier)
        case .rs256: await keys.add(rsa: try Insecure.RSA.PrivateKey(pem: self.pem), digestAlgorithm: .sha256, kid: identifier)
        case .hs256: await keys.add(hmac: HMACKey(from: self.secret), digestAlgorithm: .sha256, kid: identifier)
        }
        return try await keys.getKey(for: identifier)
    }

    private var pem: String { String(decoding: self.secret, as: UTF8.self) }
}
