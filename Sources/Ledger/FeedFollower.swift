/// Where a follower keeps its place in the ledger between starts: the notification dispatcher keeps
/// it in a table, so a restart neither repeats nor skips an event.
public protocol FeedCursor: Sendable {
    /// The saved position, or nil before the first save.
    func load() async throws -> Int64?
    func save(_ position: Int64) async throws
}

/// Follows the ledger's feed for a service: hands each batch of committed events to the service, in
/// order, until the task is cancelled or the feed finishes (the ledger closed). A failed read or a
/// failed batch is retried after `backoff`, from the last position the service reached, so nothing is
/// skipped.
///
/// The handler gets the batch and the position to move forward as it goes: it moves it past each
/// event it has dealt with (or past the whole batch), and a failure part way leaves the rest for the
/// retry. With a persisted cursor the position is saved after each batch, and read back before a
/// retry.
public struct FeedFollower: Sendable {
    public enum Start: Sendable {
        /// From this position, kept in memory.
        case position(Int64)
        /// From the ledger's head when following begins, kept in memory.
        case head
        /// From the saved position; from the head (saved at once) the first time.
        case persisted(any FeedCursor)
    }

    public let feed: LedgerFeed
    public let start: Start
    public var backoff: Backoff
    /// Told of every failure, with how many came in a row (the first is worth a louder log line).
    public var onFailure: @Sendable (_ error: any Error, _ failuresInARow: Int) -> Void

    public init(
        feed: LedgerFeed,
        start: Start,
        backoff: Backoff = Backoff(base: .seconds(1), cap: .seconds(8), jitter: 0.2),
        onFailure: @escaping @Sendable (_ error: any Error, _ failuresInARow: Int) -> Void = { _, _ in }
    ) {
        self.feed = feed
        self.start = start
        self.backoff = backoff
        self.onFailure = onFailure
    }

    /// Follows until cancelled or until the feed finishes; returns the last position handled.
    @discardableResult
    public func run(_ handle: (_ events: [RecordedEvent], _ position: inout Int64) async throws -> Void) async -> Int64 {
        var failures = 0
        guard var position = await startPosition(failures: &failures) else { return 0 }
        while !Task.isCancelled {
            do {
                for try await events in feed.events(after: position) {
                    try await handle(events, &position)
                    if case .persisted(let cursor) = start { try await cursor.save(position) }
                    failures = 0
                    if Task.isCancelled { return position }
                }
                return position
            } catch {
                if Task.isCancelled { return position }
                failures += 1
                onFailure(error, failures)
                guard (try? await backoff.wait(afterFailures: failures)) != nil else { return position }
                if case .persisted(let cursor) = start, let saved = try? await cursor.load() { position = saved }
            }
        }
        return position
    }

    /// Where following begins; nil when cancelled before a persisted cursor could be read.
    private func startPosition(failures: inout Int) async -> Int64? {
        switch start {
        case .position(let position): return position
        case .head: return feed.head
        case .persisted(let cursor):
            while !Task.isCancelled {
                do {
                    if let saved = try await cursor.load() { return saved }
                    let head = feed.head
                    try await cursor.save(head)
                    return head
                } catch {
                    failures += 1
                    onFailure(error, failures)
                    guard (try? await backoff.wait(afterFailures: failures)) != nil else { return nil }
                }
            }
            return nil
        }
    }
}
