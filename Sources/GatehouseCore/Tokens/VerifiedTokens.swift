import Synchronization

/// Access tokens whose signature a realm has already checked, with their claims.
///
/// A client sends the same access token with every request for its whole lifetime, so
/// checking its signature once is enough: later requests only re-check what can change
/// (expiry, type, the user's state). The cache belongs to one ``Realm`` snapshot, so a key
/// change, which loads a new snapshot, forgets every entry. Keys are whole tokens: only
/// the exact bytes that were verified are ever accepted from here.
final class VerifiedTokens: Sendable {
    /// Beyond this many tokens the cache starts over, so it cannot grow without bound.
    private let capacity: Int
    private let entries = Mutex<[String: TokenClaims]>([:])

    init(capacity: Int = 50_000) {
        self.capacity = capacity
    }

    func claims(of token: String) -> TokenClaims? {
        self.entries.withLock { $0[token] }
    }

    func remember(_ token: String, _ claims: TokenClaims) {
        self.entries.withLock { entries in
            if entries.count >= self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = claims
        }
    }
}
