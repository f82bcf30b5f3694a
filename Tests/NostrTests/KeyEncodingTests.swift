import Testing

@testable import Nostr

/// Public keys as people paste them (hex or NIP-19 npub) and the bech32 underneath.
@Suite struct KeyEncodingTests {
    static let adaNpub = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg"
    static let adaHex = "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e"

    @Test func publicKeysParseAsHexOrNpubWithTheChecksumChecked() throws {
        #expect(NostrKey.publicKeyHex(Self.adaNpub) == Self.adaHex)
        #expect(NostrKey.publicKeyHex(Self.adaNpub.uppercased()) == Self.adaHex)
        #expect(NostrKey.publicKeyHex(" \(Self.adaHex.uppercased())\n") == Self.adaHex)
        #expect(NostrKey.npub(fromHex: Self.adaHex) == Self.adaNpub)
        let fiatjaf = "3bf0c63fcb93463407af97a5e5ee64fa883d107ef9e558472c4eb9aaaefa459d"
        #expect(NostrKey.publicKeyHex("npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6") == fiatjaf)
        // Round trips.
        for _ in 0..<50 {
            let hex = Hex.encode((0..<32).map { _ in UInt8.random(in: 0...255) })
            let npub = try #require(NostrKey.npub(fromHex: hex))
            #expect(NostrKey.publicKeyHex(npub) == hex)
        }
        // Every single-character change of an npub is caught by the checksum.
        let characters = Array(Self.adaNpub)
        for index in 5..<characters.count {
            var changed = characters
            changed[index] = changed[index] == "q" ? "p" : "q"
            #expect(NostrKey.publicKeyHex(String(changed)) == nil)
        }
        // Mixed case, other prefixes, wrong lengths.
        #expect(NostrKey.publicKeyHex("npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjpTG") == nil)
        #expect(NostrKey.publicKeyHex("nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5") == nil)
        #expect(NostrKey.publicKeyHex(String(Self.adaHex.dropLast())) == nil)
        #expect(NostrKey.publicKeyHex("") == nil)
        #expect(NostrKey.npub(fromHex: "abcd") == nil)
    }

    @Test func bech32FollowsBIP173() {
        for valid in [
            "A12UEL5L", "a12uel5l",
            "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
            "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
            "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
            "?1ezyfcl",
        ] {
            #expect(Bech32.decode(valid) != nil, "\(valid)")
        }
        for invalid in ["pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v", "li1dgmt3", "A1G7SGD8", "10a06t8", "1qzzfhee", "a12UEL5L"] {
            #expect(Bech32.decode(invalid) == nil, "\(invalid)")
        }
    }
}
