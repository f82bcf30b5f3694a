import Foundation
import Nostr
import Testing

/// Inputs on which `IntakeFuzzTests` found the process trapping. Each runs in a child process (an exit
/// test), so that while the bug is there it fails its own test instead of stopping the whole run; once
/// fixed, the child exits normally and the answer is checked as well.
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
    func anEventThatIsNotAnObjectIsRefused(text: String, fromRelay: Bool) async {
        await #expect(processExitsWith: .success, "\(text)") { [text, fromRelay] in
            // Not `#expect`: a child's exit status is what reaches the parent.
            if RelayMessage.parse(text, fromRelay: fromRelay) != nil { exit(3) }
        }
    }
}
