import COpenSSL
import CSecp256k1
import Foundation
import Testing

/// The system-library shims link and call into the real libsecp256k1 and libcrypto.
@Suite struct SystemLibraryTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    @Test func secp256k1SignsBIP340VectorZero() throws {
        // BIP-340 test vector 0 (../shared/vectors/bip340-test-vectors.csv).
        let secret = Self.bytes("0000000000000000000000000000000000000000000000000000000000000003")
        let message = [UInt8](repeating: 0, count: 32)
        let aux = [UInt8](repeating: 0, count: 32)
        let expectedPub = Self.bytes("F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9")
        let expectedSig = Self.bytes(
            "E907831F80848D1069A5371B402410364BDF1C5F8307B0084C55F1CE2DCA821525F66A4A85EA8B71E482A74F382D2CE5EBEEE8FDB2172F477DF4900D310536C0"
        )
        let context = try #require(secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE)))
        defer { secp256k1_context_destroy(context) }
        var keypair = secp256k1_keypair()
        #expect(secp256k1_keypair_create(context, &keypair, secret) == 1)
        var xonly = secp256k1_xonly_pubkey()
        #expect(secp256k1_keypair_xonly_pub(context, &xonly, nil, &keypair) == 1)
        var pub = [UInt8](repeating: 0, count: 32)
        #expect(secp256k1_xonly_pubkey_serialize(context, &pub, &xonly) == 1)
        #expect(pub == expectedPub)
        var signature = [UInt8](repeating: 0, count: 64)
        #expect(secp256k1_schnorrsig_sign32(context, &signature, message, &keypair, aux) == 1)
        #expect(signature == expectedSig)
        #expect(secp256k1_schnorrsig_verify(context, signature, message, 32, &xonly) == 1)
        signature[0] ^= 1
        #expect(secp256k1_schnorrsig_verify(context, signature, message, 32, &xonly) == 0)
    }

    @Test func libcryptoComputesSHA256() throws {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let input = Array("abc".utf8)
        #expect(EVP_Digest(input, input.count, &digest, &length, EVP_sha256(), nil) == 1)
        #expect(length == 32)
        #expect(digest == Self.bytes("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"))
    }
}
