import Synchronization

/// The gateway's own relays: the ones from the configuration (`CROW_NOSTR_RELAYS`, `--nostr-relay`),
/// fixed for the life of the process, and the ones the owner saved in the panel, which can change at any
/// time. The subscriber follows every one of them, and invites and answers go to all of them besides the
/// contact's own relays.
///
/// Changes are announced to every `changes()` stream, so the subscriber opens and closes connections
/// without a restart.
public final class RelayDirectory: Sendable {
    /// Both lists and their union (configured first, duplicates dropped, order kept).
    public struct Lists: Sendable, Equatable {
        public var configured: [String]
        public var saved: [String]

        public var all: [String] {
            var seen = Set<String>()
            return (configured + saved).filter { seen.insert($0.lowercased()).inserted }
        }
    }

    private struct State {
        var lists: Lists
        var watchers: [Int: AsyncStream<[String]>.Continuation] = [:]
        var nextWatcher = 0
    }

    private let state: Mutex<State>

    public init(configured: [String], saved: [String] = []) {
        state = Mutex(State(lists: Lists(configured: configured, saved: saved)))
    }

    public var lists: Lists { state.withLock { $0.lists } }

    /// How many `changes()` streams are open (tests wait for a listener before they change the list).
    public var watcherCount: Int { state.withLock { $0.watchers.count } }

    /// Every relay to use now.
    public var current: [String] { lists.all }

    /// Replaces the panel's relays and tells every watcher when the union changed.
    public func replaceSaved(_ saved: [String]) {
        state.withLock { state in
            let before = state.lists.all
            state.lists.saved = saved
            let after = state.lists.all
            guard after != before else { return }
            for watcher in state.watchers.values { watcher.yield(after) }
        }
    }

    /// The current relays at once, then the new list after every change, until the caller stops
    /// listening (or its task is cancelled). Every list is kept for a slow listener (changes are the
    /// owner's edits, few and small): a follower must see its relay's removal even when the relay is
    /// added back a moment later, or two connections would follow it.
    public func changes() -> AsyncStream<[String]> {
        let (stream, continuation) = AsyncStream.makeStream(of: [String].self, bufferingPolicy: .unbounded)
        let id = state.withLock { state in
            let id = state.nextWatcher
            state.nextWatcher += 1
            state.watchers[id] = continuation
            continuation.yield(state.lists.all)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Returns once `relay` is no longer in the list (or the task is cancelled).
    public func waitUntilRemoved(_ relay: String) async {
        for await relays in changes() where !relays.contains(relay) {
            return
        }
    }
}
