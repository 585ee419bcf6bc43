import Crypto
import Synchronization

/// Access tokens whose signature a realm has already checked, with their claims: one cache
/// for every realm of a ``RealmDirectory``, so its size is bounded however many realms there are.
///
/// A client sends the same access token with every request for its whole lifetime, so
/// checking its signature once is enough: later requests only re-check what can change
/// (expiry, type, the user's state). Each entry belongs to the ``Realm`` snapshot that
/// verified it and is read back by that snapshot only: a key change, which loads a new
/// snapshot, leaves the old entries unread, and a token one realm verified is never
/// accepted from here by another. Keys are the tokens' SHA-256 digests: only the exact
/// bytes that were verified are ever accepted (another token with the same digest would be
/// a SHA-256 collision), and an entry holds 32 bytes of key, not a whole token of 500 or
/// more.
final class VerifiedTokens: Sendable {
    /// One realm snapshot: the entries it made are its own.
    struct Snapshot: Hashable, Sendable {
        private let number: UInt64
        private static let counter = Atomic<UInt64>(0)

        /// A snapshot unlike any other of this process.
        static func next() -> Snapshot {
            Snapshot(number: Self.counter.add(1, ordering: .relaxed).newValue)
        }
    }

    private struct Entry {
        let snapshot: Snapshot
        let claims: TokenClaims
    }

    /// Beyond this many tokens the cache starts over, so it cannot grow without bound.
    private let capacity: Int
    private let entries = Mutex<[SHA256Digest: Entry]>([:])

    init(capacity: Int = 100_000) {
        self.capacity = capacity
    }

    /// The claims `snapshot` verified for `token`; `nil` for a token it has not.
    func claims(of token: String, in snapshot: Snapshot) -> TokenClaims? {
        let key = TokenCodec.digest(of: token)
        return self.entries.withLock { entries in
            guard let entry = entries[key], entry.snapshot == snapshot else { return nil }
            return entry.claims
        }
    }

    func remember(_ token: String, _ claims: TokenClaims, in snapshot: Snapshot) {
        let key = TokenCodec.digest(of: token)
        self.entries.withLock { entries in
            if entries.count >= self.capacity && entries[key] == nil { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(snapshot: snapshot, claims: claims)
        }
    }

    /// How many tokens are held.
    var count: Int { self.entries.withLock { $0.count } }
}
