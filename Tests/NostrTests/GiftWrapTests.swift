import Foundation
import Testing

@testable import Nostr

/// The worked examples of NIP-59 and NIP-17 unwrap; our own wraps round-trip; an impersonating seal is
/// caught.
@Suite struct GiftWrapTests {
    static func examples() throws -> [String: Any] { try Vectors.json("nip59-nip17-examples.json") }

    static func event(_ object: Any?) throws -> NostrEvent {
        let data = try JSONSerialization.data(withJSONObject: try #require(object))
        return try JSONDecoder().decode(NostrEvent.self, from: data)
    }

    @Test func theNIP59ExampleUnwraps() throws {
        let nip59 = try #require(try Self.examples()["nip59"] as? [String: Any])
        let recipient = try #require(NostrSecretKey(bytes: Vectors.bytes(nip59["recipient_sk"] as! String)))
        let author = try #require(NostrSecretKey(bytes: Vectors.bytes(nip59["author_sk"] as! String)))
        let wrap = try Self.event(nip59["wrap"])
        let seal = try Self.event(nip59["seal"])
        let rumor = try Self.event(nip59["rumor"])
        // The published ids are the ids our canonical serialization computes.
        for event in [wrap, seal, rumor] {
            #expect(Hex.encode(event.computedID()) == event.id)
        }
        #expect(wrap.isValid && seal.isValid)
        let opened = try NIP59.unwrap(wrap, recipient: recipient)
        #expect(opened.seal == seal)
        #expect(opened.rumor.content == "Are you going to the party tonight?")
        #expect(opened.rumor.pubkey == author.publicKey.hex)
        #expect(opened.rumor.id == rumor.id)
        // Someone else cannot open it.
        #expect(throws: NIP59.Failure.cannotDecrypt) { try NIP59.unwrap(wrap, recipient: author) }
    }

    @Test func bothNIP17ExampleWrapsUnwrap() throws {
        let nip17 = try #require(try Self.examples()["nip17"] as? [String: Any])
        let nsecs = try #require(nip17["nsecs"] as? [String])
        let sender = try #require(NostrSecretKey(nsecs[0]))
        let receiver = try #require(NostrSecretKey(nsecs[1]))
        let wraps = try #require(nip17["wraps"] as? [Any])
        #expect(wraps.count == 2)
        var opened = 0
        for object in wraps {
            let wrap = try Self.event(object)
            #expect(wrap.isValid)
            // One wrap is for the receiver, the other is the sender's own copy.
            for key in [receiver, sender] where wrap.tagValues("p") == [key.publicKey.hex] {
                let (rumor, _) = try NIP59.unwrap(wrap, recipient: key)
                #expect(rumor.kind == NIP17.messageKind)
                #expect(rumor.content == nip17["message"] as? String)
                #expect(rumor.pubkey == sender.publicKey.hex)
                opened += 1
            }
        }
        #expect(opened == 2)
    }

    @Test func ourWrapsRoundTripAndHideTheirTime() throws {
        let ada = NostrSecretKey.generate()
        let grace = NostrSecretKey.generate()
        let now: Int64 = 1_800_000_000
        let wrap = try NIP17.message("{\"type\":\"crow_social\",\"join_url\":\"https://a/b\"}", from: ada, to: grace.publicKey, now: now)
        #expect(wrap.kind == 1059 && wrap.tagValues("p") == [grace.publicKey.hex])
        #expect(wrap.pubkey != ada.publicKey.hex)
        #expect((now - NIP59.maxBackdate...now).contains(wrap.createdAt))
        let (rumor, seal) = try NIP59.unwrap(wrap, recipient: grace)
        #expect(rumor.content == "{\"type\":\"crow_social\",\"join_url\":\"https://a/b\"}")
        #expect(rumor.createdAt == now && rumor.sig.isEmpty)
        #expect(seal.pubkey == ada.publicKey.hex && seal.tags.isEmpty)
        #expect((now - NIP59.maxBackdate...now).contains(seal.createdAt))
    }

    @Test func aSealThatClaimsAnotherAuthorIsRefused() throws {
        let mallory = NostrSecretKey.generate()
        let ada = NostrSecretKey.generate()
        let grace = NostrSecretKey.generate()
        // Mallory seals a rumor that says it is from Ada.
        let wrap = try Forgery.impersonatingWrap(claimed: ada, sealer: mallory, recipient: grace.publicKey, content: "hi")
        #expect(throws: NIP59.Failure.authorMismatch) { try NIP59.unwrap(wrap, recipient: grace) }
        // A wrap whose content was swapped after signing fails its signature.
        var forged = wrap
        forged.content = String(forged.content.reversed())
        #expect(throws: NIP59.Failure.badSignature) { try NIP59.unwrap(forged, recipient: grace) }
    }
}
