import Crypto
import ExtrasBase64

/// Base64url without padding (RFC 7515 §2), as JWS and JWK use it.
public enum Base64URL {
    /// Encodes `bytes`.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        Base64.encodeToString(bytes: bytes, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }

    /// `bits` (a multiple of 8) random bits from swift-crypto's secure generator, in one
    /// draw, encoded: key identifiers and other secrets sent as text.
    public static func random(bits: Int) -> String {
        Self.encode(SymmetricKey(size: SymmetricKeySize(bitCount: bits)).withUnsafeBytes { Array($0) })
    }

    /// `nil` for anything that is not unpadded base64url.
    public static func decode(_ bytes: some Collection<UInt8>) -> [UInt8]? {
        try? Base64.decode(bytes: bytes, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }
}
