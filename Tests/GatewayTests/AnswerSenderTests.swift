import Testing

@testable import Gateway

/// Where an answer to a call goes besides relays: the inbox of the gateway whose join URL came with it.
@Suite struct AnswerSenderTests {
    @Test func theCallersInboxComesFromTheJoinURL() {
        #expect(AnswerSender.inbox(forJoinURL: "https://calls.example.net/calls?room=a&token=b") == "wss://calls.example.net/nostr")
        #expect(AnswerSender.inbox(forJoinURL: "https://calls.example.net:8443/x/calls?room=a#f") == "wss://calls.example.net:8443/nostr")
        #expect(AnswerSender.inbox(forJoinURL: "http://127.0.0.1:8444/calls?room=a&token=b") == "ws://127.0.0.1:8444/nostr")
        // Only links the receive rules accept lead anywhere.
        for bad in ["javascript:alert(1)", "http://evil.example/calls", "data:text/html,x", ""] {
            #expect(AnswerSender.inbox(forJoinURL: bad) == nil, "\(bad)")
        }
    }
}
