import Foundation
import Testing

@testable import Nostr

/// NIP-01 ids: the canonical serialization escapes only what NIP-01 says, so ids with `/`, non-ASCII
/// and control characters match other implementations.
@Suite struct EventTests {
    @Test func theCanonicalFormEscapesOnlyWhatNIP01Says() {
        let text = NostrEvent.canonical(
            pubkey: "ab",
            createdAt: 1,
            kind: 4,
            tags: [["p", "x/y"], ["e", "é"]],
            content: "a/b \"q\" \\ \n\r\t\u{08}\u{0C}\u{01}\u{1F} ü 🙂"
        )
        #expect(text == "[0,\"ab\",1,4,[[\"p\",\"x/y\"],[\"e\",\"é\"]],\"a/b \\\"q\\\" \\\\ \\n\\r\\t\\b\\f\\u0001\\u001f ü 🙂\"]")
    }

    @Test func signedEventsVerifyAndAnyChangeBreaksThem() {
        let key = NostrSecretKey.generate()
        let event = NostrEvent.signed(by: key, kind: 4, tags: [["p", String(repeating: "a", count: 64)]], content: "https://x/y?z=1 ü", createdAt: 1_700_000_000)
        #expect(event.isValid)
        #expect(NostrEvent.parse(event.json()) == event)
        #expect(event.json().contains("https://x/y"))  // `/` is not escaped on the wire either
        var changed = event
        changed.content += " "
        #expect(!changed.isValid)
        changed = event
        changed.createdAt += 1
        #expect(!changed.isValid)
        changed = event
        changed.tags = []
        #expect(!changed.isValid)
        changed = event
        changed.pubkey = NostrSecretKey.generate().publicKey.hex
        #expect(!changed.isValid)
        changed = event
        changed.sig = String(changed.sig.reversed())
        #expect(!changed.isValid)
        changed = event
        changed.id = String(repeating: "0", count: 64)
        #expect(!changed.isValid)
    }

    @Test func malformedEventsDoNotParse() {
        #expect(NostrEvent.parse("{}") == nil)
        #expect(NostrEvent.parse("[1,2]") == nil)
        #expect(NostrEvent.parse("{\"pubkey\":\"a\",\"created_at\":\"soon\",\"kind\":1,\"tags\":[],\"content\":\"\"}") == nil)
        #expect(NostrEvent.parse("{\"pubkey\":\"a\",\"created_at\":1,\"kind\":1,\"tags\":[[1]],\"content\":\"\"}") == nil)
        #expect(NostrEvent.parse(String(repeating: " ", count: 300_000)) == nil)
    }
}
