import Foundation
import Ledger
import Synchronization

/// Folds events on a thread of its own while the caller reads and decodes the next ones, so a rebuild
/// takes the longer of the two instead of their sum.
///
/// The reading stays on the caller's thread because a GRDB connection may only be used on the thread
/// that opened the access; the fold is plain values. Chunks travel through a short bounded queue, so
/// memory stays flat whichever side is faster.
///
/// Decoding is the one step either side can do. Reading and decoding cost more than folding, so the
/// caller hands over a chunk still undecoded whenever the fold thread is about to run dry (`isHungry`),
/// and decodes it itself otherwise: the two threads share the decoding in whatever proportion keeps
/// both busy, on a quiet machine or a loaded one.
///
/// Once the input ends, the fold thread also sorts the rows' write order (`ProjectionFold.writeOrder`)
/// while the caller clears the old rows. The first error (a `Conflict`, or a row that does not decode)
/// is kept, the rest of the chunks are only drained, and `finish` throws it.
final class FoldThread: @unchecked Sendable {
    struct Event: Sendable {
        let position: Int64
        let recordedAt: Int64
        let event: LedgerEvent
    }

    enum Chunk: Sendable {
        /// Events the caller decoded.
        case events([Event])
        /// Rows for the fold thread to decode first.
        case rows([ReplayRow])

        var isEmpty: Bool {
            switch self {
            case .events(let events): events.isEmpty
            case .rows(let rows): rows.isEmpty
            }
        }
    }

    /// Events per hand-off: large enough that the queue's locking is noise next to the fold.
    static let chunkSize = 2048

    private let queue = Mutex<[Chunk?]>([])
    private let items = DispatchSemaphore(value: 0)
    private let slots: DispatchSemaphore
    private let done = DispatchSemaphore(value: 0)
    private var ended = false
    // Owned by the fold thread until `done` is signalled, then read by `finish` only.
    private var fold = ProjectionFold()
    private var order: ProjectionFold.WriteOrder?
    private var failure: (any Error)?

    /// `depth` chunks may wait in the queue: enough to ride out the moments the fold is slower (a
    /// dictionary growing) without the caller stopping.
    init(depth: Int = 16) {
        slots = DispatchSemaphore(value: depth)
        let thread = Thread { [self] in run() }
        thread.name = "ledger-fold"
        thread.start()
    }

    /// Whether the fold thread is close to running dry (at most one chunk waiting), so the next chunk
    /// may go to it undecoded. With "none waiting" as the rule, a 1M-event rebuild handed over 1% of
    /// its chunks and the reading stayed the slower side; with "at most one", about a quarter.
    var isHungry: Bool { queue.withLock { $0.count } < 2 }

    /// Hands over one chunk; waits while the fold is `depth` chunks behind.
    func submit(_ chunk: Chunk) {
        guard !chunk.isEmpty else { return }
        slots.wait()
        queue.withLock { $0.append(chunk) }
        items.signal()
    }

    /// Ends the input without waiting: the fold thread folds what is queued, then sorts the write
    /// order. Called once, before `finish`.
    func endInput() {
        guard !ended else { return }
        ended = true
        slots.wait()
        queue.withLock { $0.append(nil) }
        items.signal()
    }

    /// Ends the input if that was not done, waits for the fold and its write order, and returns them.
    func finish() throws -> (fold: ProjectionFold, order: ProjectionFold.WriteOrder) {
        endInput()
        done.wait()
        if let failure { throw failure }
        return (fold, order ?? fold.writeOrder())
    }

    private func run() {
        while true {
            items.wait()
            let next = queue.withLock { $0.removeFirst() }
            slots.signal()
            guard let chunk = next else { break }
            guard failure == nil else { continue }
            do {
                switch chunk {
                case .events(let events):
                    for item in events { try fold.apply(item.event, position: item.position, recordedAt: item.recordedAt) }
                case .rows(let rows):
                    for row in rows { try fold.apply(row.decode(), position: row.position, recordedAt: row.recordedAt) }
                }
            } catch {
                failure = error
            }
        }
        if failure == nil { order = fold.writeOrder() }
        done.signal()
    }
}
