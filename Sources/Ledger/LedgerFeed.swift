import GRDB
import Synchronization

/// The committed events of the ledger, in position order, for in-process followers.
///
/// A follower asks for the events after a position it chooses (its own persisted checkpoint, or the
/// head it read its starting state at) and gets every later event exactly once, in order, only after
/// the transaction that wrote it has committed. Appends made through this process's `EventStore` are
/// published the moment they commit. Appends made by another process on the same file (`crow-calls mcp`,
/// `crow-ledger`) are found by `catchUp()`, which `LedgerFeedService` calls when the file changed (and
/// every 250 ms): it reads only the head position until there is something new.
///
/// The feed keeps the most recent events in memory; a follower that falls further behind reads the
/// missing ones from the file, so no follower is ever dropped or skipped and memory stays bounded.
/// There is no buffer per follower: each follower pulls at its own pace.
public final class LedgerFeed: Sendable {
    private struct State {
        /// Everything through this position has been published.
        var head: Int64
        /// The most recently published events, contiguous and ending at `head`.
        var recent: [RecordedEvent] = []
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
        var finished = false
    }

    private let state: Mutex<State>
    private let pool: DatabasePool
    private let keep: Int

    init(pool: DatabasePool, head: Int64, keep: Int = 4096) {
        self.pool = pool
        self.keep = max(16, keep)
        self.state = Mutex(State(head: head))
    }

    /// The position through which events have been published.
    public var head: Int64 { state.withLock { $0.head } }

    /// Followers waiting for events right now (tests wait for a follower to be waiting before they act).
    var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// Publishes events this process just committed (in position order). Events that do not follow the
    /// published head directly (another process wrote in between) are left for `catchUp()`, which reads
    /// them back from the file in order.
    func publish(_ events: [RecordedEvent]) {
        guard let last = events.last else { return }
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard last.position > state.head else { return [] }
            // Events already published (a read of the file that raced an in-process append) are skipped.
            let fresh = events.drop { $0.position <= state.head }
            // Another process wrote in between: these wait for `catchUp()`, which reads them in order.
            guard fresh.first?.position == state.head + 1 else { return [] }
            state.recent.append(contentsOf: fresh)
            if state.recent.count > keep + keep / 4 { state.recent.removeFirst(state.recent.count - keep) }
            state.head = last.position
            return Self.takeWaiters(&state)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Publishes whatever the file holds beyond the published head (appends by other processes).
    /// Returns the number of events published.
    @discardableResult
    public func catchUp() async throws -> Int {
        var published = 0
        while true {
            let from = head
            let events = try await pool.read { db -> [RecordedEvent] in
                let fileHead = try EventReader.headPosition(in: db)
                guard fileHead > from else { return [] }
                return try EventReader.events(in: db, positions: (from + 1)...min(fileHead, from + 1000))
            }
            if events.isEmpty { return published }
            publish(events)
            published += events.count
        }
    }

    /// Ends every follower's sequence (at shutdown, before the ledger closes).
    public func finish() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.finished = true
            return Self.takeWaiters(&state)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// The events after `position`, in order, in batches, for as long as the feed runs.
    public func events(after position: Int64, batchSize: Int = 256) -> Events {
        Events(feed: self, position: position, batchSize: max(1, batchSize))
    }

    /// Waits until events beyond `position` are published (or the feed finishes).
    public func wait(beyond position: Int64) async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if state.head > position || state.finished || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }

    /// The next published events after `position`, up to `limit`: from memory when they are still
    /// there, else from the file. Empty when there are none yet.
    func batch(after position: Int64, limit: Int) async throws -> [RecordedEvent] {
        enum Source {
            case memory([RecordedEvent])
            case file(through: Int64)
        }
        let source = state.withLock { state -> Source in
            guard state.head > position else { return .memory([]) }
            if let first = state.recent.first, first.position <= position + 1 {
                let start = Int(position + 1 - first.position)
                return .memory(Array(state.recent[start..<min(state.recent.count, start + limit)]))
            }
            return .file(through: min(state.head, position + Int64(limit)))
        }
        switch source {
        case .memory(let events):
            return events
        case .file(let through):
            return try await pool.read { db in try EventReader.events(in: db, positions: (position + 1)...through) }
        }
    }

    var isFinished: Bool { state.withLock { $0.finished } }

    private static func takeWaiters(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        let waiters = Array(state.waiters.values)
        state.waiters.removeAll()
        return waiters
    }

    /// A follower's view of the feed: batches of events after a position, in order, each once. Ends when
    /// the feed finishes or the task is cancelled.
    public struct Events: AsyncSequence, Sendable {
        public typealias Element = [RecordedEvent]
        let feed: LedgerFeed
        let position: Int64
        let batchSize: Int

        public func makeAsyncIterator() -> Iterator {
            Iterator(feed: feed, position: position, batchSize: batchSize)
        }

        public struct Iterator: AsyncIteratorProtocol {
            let feed: LedgerFeed
            /// The last position handed out.
            public private(set) var position: Int64
            let batchSize: Int

            init(feed: LedgerFeed, position: Int64, batchSize: Int) {
                self.feed = feed
                self.position = position
                self.batchSize = batchSize
            }

            public mutating func next() async throws -> [RecordedEvent]? {
                while true {
                    if Task.isCancelled || feed.isFinished { return nil }
                    let events = try await feed.batch(after: position, limit: batchSize)
                    if let last = events.last {
                        position = last.position
                        return events
                    }
                    await feed.wait(beyond: position)
                }
            }
        }
    }
}
