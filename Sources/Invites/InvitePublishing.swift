public import Ledger
public import Nostr

/// Where the outbox and the answer sender hand their signed events: every event to every relay, one
/// outcome per relay. `RelayPublisher` does it over WebSockets; tests stand in for the relays, which
/// are outside the machine, with a double that records what it was given and answers as told.
public protocol InvitePublishing: Sendable {
    /// Every event to every relay in `targets`; one outcome per relay (accepted when it took every event).
    func publish(_ events: [NostrEvent], to targets: [String]) async -> [RelayOutcome]
}

extension RelayPublisher: InvitePublishing {}
