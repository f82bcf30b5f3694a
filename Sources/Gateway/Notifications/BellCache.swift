import HTTPTypes
import NIOCore
import Synchronization

/// The bell's last answer, kept while nothing it depends on can have changed, so a poll costs no
/// database read. Every open page of the instance polls, and most polls find nothing new.
///
/// An answer is good while the ledger feed's head is where it was when the answer was read (any
/// append, by this process or another, moves the head) and until the earliest ringing call rings out
/// (which no event records). Appends by another process reach the feed within its catch-up interval
/// (250 ms), so a poll may lag such an append by that much, as the live stream does.
final class BellCache: Sendable {
    struct Entry: Sendable {
        /// The feed head read before the answer's database read.
        var head: Int64
        /// Unix ms at which a ringing call rings out (`RingWindow.firstExpiry`); the answer is stale
        /// from then on, as the call is by `RingWindow.rings`.
        var validUntil: Int64
        var cursor: String
        /// `"<cursor>"`, the answer's `ETag`.
        var etag: String
        var body: ByteBuffer
        /// The headers of the 200 and 304 answers, built once per answer rather than once per poll.
        var headers: HTTPFields
        var notModifiedHeaders: HTTPFields
    }

    private let entry = Mutex<Entry?>(nil)

    /// The answer read at feed head `head`, if it is still good at `now`.
    func answer(head: Int64, now: Int64) -> Entry? {
        entry.withLock { entry in
            guard let cached = entry, cached.head == head, now < cached.validUntil else { return nil }
            return cached
        }
    }

    /// Keeps an answer, unless one read at a later head is already kept.
    func keep(_ new: Entry) {
        entry.withLock { entry in
            if let current = entry, current.head > new.head { return }
            entry = new
        }
    }
}
