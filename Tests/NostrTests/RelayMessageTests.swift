import Foundation
import Testing

@testable import Nostr

/// NIP-01 client/relay messages: what this gateway writes, and total parsing of whatever comes back.
@Suite struct RelayMessageTests {
    let event = NostrEvent.signed(by: NostrSecretKey.generate(), kind: 4, tags: [["p", String(repeating: "a", count: 64)]], content: "x/y", createdAt: 1)

    @Test func messagesRoundTrip() {
        let fromClient: [RelayMessage] = [
            .publish(event),
            .request(subscription: "inbox", filters: [.init(kinds: [4, 1059], pTags: ["ab"], since: 100, limit: 10)]),
            .close(subscription: "inbox"),
        ]
        for message in fromClient { #expect(RelayMessage.parse(message.json(), fromRelay: false) == message, "\(message.json())") }
        let fromRelay: [RelayMessage] = [
            .event(subscription: "inbox", event),
            .ok(eventId: event.id, accepted: true, message: ""),
            .ok(eventId: "", accepted: false, message: "invalid: bad signature"),
            .endOfStoredEvents(subscription: "inbox"),
            .notice("slow down"),
            .closed(subscription: "inbox", message: "auth-required: x"),
        ]
        for message in fromRelay { #expect(RelayMessage.parse(message.json(), fromRelay: true) == message, "\(message.json())") }
        #expect(RelayMessage.publish(event).json().contains("x/y"))
    }

    /// Numbers a filter cannot hold are left out, never trapped on.
    @Test func hugeFilterNumbersAreDropped() {
        let parsed = RelayMessage.parse(#"["REQ","s",{"since":1e300,"limit":-1e300,"kinds":[1e300]},{"since":1.5}]"#, fromRelay: false)
        #expect(parsed == .request(subscription: "s", filters: [.init(kinds: nil, pTags: nil, since: nil, limit: nil), .init(since: nil)]))
    }

    @Test func anythingElseIsNil() {
        for text in [
            "", "{}", "[]", "[1]", "[\"WHAT\"]", "[\"OK\",\"id\"]", "[\"OK\",\"id\",\"yes\"]", "[\"EVENT\",\"s\",{}]",
            "[\"EVENT\",\"s\",{\"kind\":\"x\"}]", String(repeating: "[", count: 10_000),
            "[\"NOTICE\",\"" + String(repeating: "x", count: 200_000) + "\"]",
        ] {
            #expect(RelayMessage.parse(text, fromRelay: true) == nil, "\(text.prefix(40))")
        }
        #expect(RelayMessage.parse("[\"EVENT\",\"s\",\(event.json())]", fromRelay: false) == nil)
    }
}
