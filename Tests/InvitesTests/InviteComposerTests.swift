import CrowSecurity
import Decisions
import Nostr
import Testing

@testable import Invites

/// The host name an invite carries reaches every receiver: cleaned, and within the bytes they accept.
@Suite struct InviteComposerTests {
    @Test func aLongHostNameIsCleanedAndBoundedSoTheInviteRings() throws {
        func envelope(_ name: String) -> String {
            CrowEnvelope.roomInvite(.init(roomCode: "r1", joinURL: "https://a.example/calls?room=r1&token=t", hostName: name)).json()
        }
        // 16 KiB of name, and 64 characters of four-byte emoji each carrying combining marks.
        let raw = [String(repeating: "Ada ", count: 4096), String(repeating: "👩🏽\u{301}\u{302}", count: 80), "\u{202E}Ada\u{0}\n  Lovelace"]
        for name in raw {
            if name.utf8.count > CrowEnvelope.maxHostName {
                // What used to be sent: the receiver refuses it, and the call never rings.
                #expect(throws: CrowEnvelope.Refusal.self) { try CrowEnvelope.parse(envelope(name)) }
            }
            let sent = InviteComposer.envelopeHostName(name)
            #expect(sent.utf8.count <= CrowEnvelope.maxHostName)
            #expect(sent.count <= TextRules.maxDisplayName)
            guard case .roomInvite(let parsed) = try CrowEnvelope.parse(envelope(sent)) else { Issue.record("not an invite"); continue }
            #expect(parsed.hostName == sent)
        }
        #expect(InviteComposer.envelopeHostName("\u{202E}Ada\u{0}\n  Lovelace") == "Ada Lovelace")
        #expect(InviteComposer.envelopeHostName("   ") == "Host")
    }
}
