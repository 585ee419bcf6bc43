import ArgumentParser
import Foundation
import GatehouseCore

/// `GATEHOUSE_MASTER_KEY`, which seals private key material at rest.
enum MasterKeyOption {
    /// The master key from the environment, or an error saying how to make one.
    static func load() throws -> MasterKey {
        guard let text = ProcessInfo.processInfo.environment["GATEHOUSE_MASTER_KEY"], !text.isEmpty else {
            throw ValidationError(
                "GATEHOUSE_MASTER_KEY is not set: it must be base64 of 32 random bytes (e.g. `head -c 32 /dev/urandom | base64`)"
            )
        }
        return try MasterKey(base64: text)
    }
}
