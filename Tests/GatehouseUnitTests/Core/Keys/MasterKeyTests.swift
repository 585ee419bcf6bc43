import Foundation
import GatehouseCore
import JWTKit
import Testing

@Suite(.timeLimit(.minutes(5))) struct MasterKeyTests {
    @Test func sealedKeysOpenOnlyWithTheSameMasterKeyAndKid() throws {
        let (key, text) = MasterKey.generate()
        let sealed = try key.seal(Data("private".utf8), kid: "kid-1")
        #expect(!sealed.contains(Data("private".utf8)))
        #expect(try MasterKey(base64: text).open(sealed, kid: "kid-1") == Data("private".utf8))
        #expect(throws: KeyError.self) { try key.open(sealed, kid: "kid-2") }
        #expect(throws: KeyError.self) { try MasterKey.generate().key.open(sealed, kid: "kid-1") }
        var damaged = sealed
        damaged[damaged.startIndex + 20] ^= 1
        #expect(throws: KeyError.self) { try key.open(damaged, kid: "kid-1") }
    }

    @Test func aMasterKeyMustBe32Bytes() {
        for text in ["", "not base64!", Data(count: 16).base64EncodedString(), Data(count: 33).base64EncodedString()] {
            #expect(throws: KeyError.self) { try MasterKey(base64: text) }
        }
    }

    @Test(arguments: SigningAlgorithm.allCases)
    func generatedKeysSignAndVerify(algorithm: SigningAlgorithm) async throws {
        let material = try SigningKeyMaterial.generate(algorithm)
        let kid = SigningKeyMaterial.newKid()
        let signer = try await material.signer(kid: kid)
        let signature = try signer.sign(Array("payload".utf8))
        #expect(try signer.verify(signature, signs: Array("payload".utf8)))
        #expect(try !signer.verify(signature, signs: Array("payloaD".utf8)))
        #expect((try material.publicJWK(kid: kid) == nil) == (algorithm == .hs256))
    }
}
