import Foundation
import Synchronization

/// Group commit on a dedicated writer thread.
///
/// Callers queue their request and suspend. The writer thread takes everything queued (up to
/// `maxBatch`), writes it in one transaction with `write`, and resumes each caller with its own
/// response: one fsync serves every caller that queued while the previous transaction committed, and no
/// caller hears of success before its own transaction has committed.
///
/// Why a thread of its own: the write runs synchronously on it, so an append costs one hand-off to the
/// writer and one back. The former design (a caller's task leading the batch and awaiting GRDB's
/// writer queue) cost a hop to the queue, a hop back to the leader, and a resume for each follower,
/// and writing on the caller's thread instead blocks one of the few cooperative threads through every
/// fsync (docs/BENCHMARKS.md, "Tried and not kept"). After a batch the thread keeps polling the queue
/// for `spin` before it sleeps, yielding its core between polls: a caller that appends again right
/// after its answer (one writer in a loop, or the next request of a busy gateway) then finds it awake,
/// and the thread is not woken through the kernel. An idle gateway pays that short poll once per commit.
///
/// The thread is not tied to any task: a cancelled caller's append is still written once queued, and
/// never fails the others' appends.
final class AppendWriter<Request: Sendable, Response: Sendable>: Sendable {
    private struct Waiter: Sendable {
        let request: Request
        let continuation: CheckedContinuation<Response, Never>
    }

    private struct State {
        var queue: [Waiter] = []
        var committing = false
        /// The thread waits on `wake`; the next submit signals it (once) and clears this.
        var sleeping = false
        var stopped = false
    }

    private enum Step {
        case batch([Waiter])
        case stop
        case poll
        case sleep
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let maxBatch: Int
    private let spinNanoseconds: UInt64
    /// Answers a request that arrives after `stop()`, or that was queued when the writer stopped.
    private let refusal: @Sendable () -> Response
    private let write: @Sendable ([Request]) -> [Response]

    /// Starts the writer thread. `write` receives the requests of one batch in arrival order and returns
    /// one response per request; it runs on the writer thread only, one batch at a time.
    init(
        maxBatch: Int,
        spin: Duration = .microseconds(200),
        name: String,
        refusal: @escaping @Sendable () -> Response,
        write: @escaping @Sendable ([Request]) -> [Response]
    ) {
        self.maxBatch = max(1, maxBatch)
        let (seconds, attoseconds) = spin.components
        self.spinNanoseconds = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds / 1_000_000_000))
        self.refusal = refusal
        self.write = write
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    /// Whether a batch is being written, and how many requests wait for the next one (for tests).
    var snapshot: (committing: Bool, queued: Int) {
        state.withLock { ($0.committing, $0.queue.count) }
    }

    /// Queues `request` and returns its response once the transaction holding it has been written.
    func submit(_ request: Request) async -> Response {
        await withCheckedContinuation { continuation in
            let outcome = state.withLock { state -> (refused: Bool, signal: Bool) in
                if state.stopped { return (true, false) }
                state.queue.append(Waiter(request: request, continuation: continuation))
                let signal = state.sleeping
                state.sleeping = false
                return (false, signal)
            }
            if outcome.refused { continuation.resume(returning: refusal()) }
            if outcome.signal { wake.signal() }
        }
    }

    /// Stops the thread after the batch in progress; requests still queued are refused. Waits for the
    /// thread to finish when `wait` is set (never from the writer thread itself).
    func stop(wait: Bool) {
        let signal = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.stopped = true
            let signal = state.sleeping
            state.sleeping = false
            return signal
        }
        if signal { wake.signal() }
        if wait {
            finished.wait()
            finished.signal()
        }
    }

    private func run() {
        while let batch = nextBatch() {
            let responses = write(batch.map(\.request))
            state.withLock { $0.committing = false }
            for (waiter, response) in zip(batch, responses) { waiter.continuation.resume(returning: response) }
        }
        let left = state.withLock { state -> [Waiter] in
            defer { state.queue.removeAll() }
            return state.queue
        }
        for waiter in left { waiter.continuation.resume(returning: refusal()) }
        finished.signal()
    }

    /// The next batch, waiting for one (polling for `spinNanoseconds`, then sleeping); nil once stopped.
    private func nextBatch() -> [Waiter]? {
        var spinUntil: UInt64? = nil
        while true {
            let step = state.withLock { state -> Step in
                if state.stopped { return .stop }
                if !state.queue.isEmpty {
                    let count = min(state.queue.count, maxBatch)
                    let taken = Array(state.queue.prefix(count))
                    state.queue.removeFirst(count)
                    state.committing = true
                    return .batch(taken)
                }
                let now = Self.monotonicNanoseconds()
                if spinUntil == nil { spinUntil = now + spinNanoseconds }
                if let until = spinUntil, now < until { return .poll }
                state.sleeping = true
                return .sleep
            }
            switch step {
            case .batch(let batch): return batch
            case .stop: return nil
            case .poll:
                // Gives the core to any other runnable thread (the caller preparing its next append,
                // when both share a core) instead of spinning through its time slice.
                sched_yield()
            case .sleep:
                wake.wait()
                spinUntil = nil
            }
        }
    }

    private static func monotonicNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
