import Foundation
import Nostr
import Testing

/// Inputs on which `IntakeFuzzTests` found the process trapping. They run in this process: should a trap
/// come back, the whole run stops, which fails as loudly. (They ran in child processes at first, as
/// exit tests; a run where those children were spawned beside the live-server suites stalled, so the
/// suite no longer spawns them.)
@Suite struct IntakeFuzzRegressionTests {
    /// Found by `IntakeFuzzTests.relayMessageTexts`, seed 20260601, text case 0: `["EVENT",null]`.
    /// `RelayMessage.parse` passes the item after `"EVENT"` to `JSONSerialization.data(withJSONObject:)`,
    /// which traps ("Top-level object was not NSArray or NSDictionary", Sources/Nostr/RelayMessage.swift:78)
    /// on anything but an array or object, instead of throwing. Any client of `/nostr` could send it,
    /// without a key or a contact, and stop the gateway; a relay could do the same to its subscribers.
    @Test(arguments: [
        (#"["EVENT",null]"#, false), (#"["EVENT","x"]"#, false), (#"["EVENT",1]"#, false), (#"["EVENT",true]"#, false),
        (#"["EVENT","inbox",null]"#, true), (#"["EVENT","inbox",4]"#, true),
    ])
    func anEventThatIsNotAnObjectIsRefused(text: String, fromRelay: Bool) {
        #expect(RelayMessage.parse(text, fromRelay: fromRelay) == nil, "\(text)")
    }
}
