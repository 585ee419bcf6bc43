/// A stored password hash this service verifies, parsed, with its cost inside the bounds.
///
/// Imported hashes carry their own cost, and a login against one spends that cost on a
/// shared hashing thread: a hash of `t` = 2³²−1 or 100,000,000 PBKDF2 rounds would hold a
/// thread for hours. So a hash is accepted (at import, at creation, at every verification)
/// only within these bounds, which cover what Django and OWASP use today with headroom:
/// - Argon2id: `m` ≤ 131,072 KiB (Django's default is 102,400, OWASP's 19,456–47,104),
///   `t` ≤ 10 (OWASP's highest is 5), `p` ≤ 16 (Django's is 8), `m`·`t` ≤ 262,144
///   (Django's 204,800), salt and tag 8 to 64 bytes;
/// - PBKDF2-SHA256: ≤ 1,500,000 rounds (Django 6.0 uses 1,200,000, OWASP asks 600,000),
///   salt ≤ 128 characters, a 32-byte key.
enum StoredPasswordHash {
    /// An Argon2id PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$tag`).
    case argon2id(phc: String, parameters: Argon2Parameters)
    /// Django's `pbkdf2_sha256$rounds$salt$hash`.
    case djangoPBKDF2(DjangoPBKDF2Hash)

    /// The largest Argon2id cost verified.
    static let maximumArgon2 = Argon2Parameters(memoryKiB: 131_072, iterations: 10, parallelism: 16)
    /// The largest product of Argon2id memory (KiB) and passes verified.
    static let maximumArgon2Work: UInt64 = 262_144
    /// The most PBKDF2 rounds verified.
    static let maximumPBKDF2Rounds = 1_500_000
    /// What the bounds are, for a refused import line.
    static let boundsDescription =
        "argon2id needs m ≤ 131072, t ≤ 10, p ≤ 16, m·t ≤ 262144; pbkdf2_sha256 at most 1500000 iterations"

    /// Why a hash is refused.
    enum Refusal: Error, Equatable {
        /// Not a format this service verifies.
        case unknownFormat
        /// A known format whose cost is beyond the bounds.
        case beyondBounds
    }

    /// Parses `stored`: an Argon2id PHC string, Django's `argon2$argon2id$…` (a PHC string
    /// without its first `$`) or `pbkdf2_sha256$…`.
    static func parse(_ stored: String) -> Result<StoredPasswordHash, Refusal> {
        guard stored.utf8.count <= 512 else { return .failure(.unknownFormat) }
        if stored.hasPrefix("pbkdf2_sha256$") {
            guard let django = DjangoPBKDF2Hash(stored) else { return .failure(.unknownFormat) }
            guard django.iterations <= Self.maximumPBKDF2Rounds else { return .failure(.beyondBounds) }
            return .success(.djangoPBKDF2(django))
        }
        let phc = stored.hasPrefix("argon2$argon2id$") ? String(stored.dropFirst("argon2".count)) : stored
        // $argon2id$v=19$m=...,t=...,p=...$salt$tag
        let parts = phc.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0].isEmpty, parts[1] == "argon2id", parts[2] == "v=19" else { return .failure(.unknownFormat) }
        let segments = parts[3].split(separator: ",")
        guard segments.count == 3 else { return .failure(.unknownFormat) }
        var values: [UInt32] = []
        for (segment, prefix) in zip(segments, ["m=", "t=", "p="]) {
            guard segment.hasPrefix(prefix), let value = UInt32(segment.dropFirst(2)), value > 0 else { return .failure(.unknownFormat) }
            values.append(value)
        }
        let parameters = Argon2Parameters(memoryKiB: values[0], iterations: values[1], parallelism: values[2])
        // Unpadded base64: 8 to 64 bytes are 11 to 86 characters.
        guard (11...86).contains(parts[4].utf8.count), (11...86).contains(parts[5].utf8.count) else {
            return .failure(parts[4].isEmpty || parts[5].isEmpty ? .unknownFormat : .beyondBounds)
        }
        let maximum = Self.maximumArgon2
        guard parameters.memoryKiB <= maximum.memoryKiB, parameters.iterations <= maximum.iterations,
            parameters.parallelism <= maximum.parallelism, parameters.memoryKiB >= 8 * parameters.parallelism,
            UInt64(parameters.memoryKiB) * UInt64(parameters.iterations) <= Self.maximumArgon2Work
        else { return .failure(.beyondBounds) }
        return .success(.argon2id(phc: phc, parameters: parameters))
    }
}
