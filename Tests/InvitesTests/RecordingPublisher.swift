import Invites
import Ledger
import Nostr
import Synchronization

/// Stands in for the relays: records every publish, and answers for each relay as the test says. A
/// relay refuses until `accept` is called for it.
final class RecordingPublisher: InvitePublishing {
    struct Publish: Sendable {
        var eventIds: [String]
        var targets: [String]
    }

    private struct State {
        var accepting: Set<String> = []
        var publishes: [Publish] = []
    }

    private let state = Mutex(State())

    /// From now on `relay` takes every event it is given.
    func accept(_ relay: String) {
        state.withLock { _ = $0.accepting.insert(relay) }
    }

    var publishes: [Publish] { state.withLock { $0.publishes } }

    /// The publishes that went to `relay`, in order.
    func publishes(to relay: String) -> [Publish] {
        publishes.filter { $0.targets.contains(relay) }
    }

    func publish(_ events: [NostrEvent], to targets: [String]) async -> [RelayOutcome] {
        state.withLock { state in
            state.publishes.append(Publish(eventIds: events.map(\.id), targets: targets))
            return targets.sorted().map { relay in
                state.accepting.contains(relay)
                    ? RelayOutcome(url: relay, ok: true)
                    : RelayOutcome(url: relay, ok: false, message: "blocked: the test relay refuses")
            }
        }
    }
}
