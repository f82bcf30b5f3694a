import Foundation
import Ledger
import Synchronization

/// Folds events on a thread of its own while the caller reads and decodes the next ones, so a rebuild
/// takes the longer of the two instead of their sum.
///
/// The reading stays on the caller's thread because a GRDB connection may only be used on the thread
/// that opened the access; the fold is plain values. Chunks travel through a short bounded queue, so
/// memory stays flat whichever side is faster. The first error of the fold (a `Conflict`) is kept,
/// the rest of the events are only drained, and `finish` throws it.
final class FoldThread: @unchecked Sendable {
    struct Event: Sendable {
        let position: Int64
        let recordedAt: Int64
        let event: LedgerEvent
    }

    /// Events per hand-off: large enough that the queue's locking is noise next to the fold.
    static let chunkSize = 2048

    private let queue = Mutex<[[Event]?]>([])
    private let items = DispatchSemaphore(value: 0)
    private let slots: DispatchSemaphore
    private let done = DispatchSemaphore(value: 0)
    // Owned by the fold thread until `done` is signalled, then read by `finish` only.
    private var fold = ProjectionFold()
    private var failure: (any Error)?

    init(depth: Int = 4) {
        slots = DispatchSemaphore(value: depth)
        let thread = Thread { [self] in run() }
        thread.name = "ledger-fold"
        thread.start()
    }

    /// Hands over one chunk; waits while the fold is `depth` chunks behind.
    func submit(_ chunk: [Event]) {
        guard !chunk.isEmpty else { return }
        slots.wait()
        queue.withLock { $0.append(chunk) }
        items.signal()
    }

    /// Ends the input, waits for the fold to take in everything, and returns it.
    func finish() throws -> ProjectionFold {
        slots.wait()
        queue.withLock { $0.append(nil) }
        items.signal()
        done.wait()
        if let failure { throw failure }
        return fold
    }

    private func run() {
        while true {
            items.wait()
            let next = queue.withLock { $0.removeFirst() }
            slots.signal()
            guard let chunk = next else { break }
            guard failure == nil else { continue }
            do {
                for item in chunk { try fold.apply(item.event, position: item.position, recordedAt: item.recordedAt) }
            } catch {
                failure = error
            }
        }
        done.signal()
    }
}
