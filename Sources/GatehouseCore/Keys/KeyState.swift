/// The life of a signing key (contract section 1); ``KeyLifecycle`` decides its moves.
public enum KeyState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Published in the JWKS, not yet signing.
    case next
    /// Signs new tokens; exactly one per environment.
    case active
    /// No longer signs; verifies until the environment's longest token lifetime has passed.
    case retiring
    /// Neither signs nor verifies; deleted one retention later.
    case retired
    /// Compromised: its tokens stopped verifying at once; deleted one retention later.
    case revoked
}
