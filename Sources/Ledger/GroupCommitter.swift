import Synchronization

/// Leader/follower group commit.
///
/// The first caller that finds no commit in progress becomes the leader and writes its own append at
/// once. Callers that arrive while a transaction is being committed queue up. When the leader's commit
/// is durable, it answers its batch and hands leadership to the first queued caller, which writes
/// everything that queued meanwhile in one transaction: one fsync serves many callers, and no caller
/// hears of success before its own transaction has committed.
///
/// There is no background task: each batch runs in the task of one of the callers it serves.
final class GroupCommitter<Request: Sendable, Response: Sendable>: Sendable {
    private enum Turn: Sendable {
        case done(Response)
        case lead
    }

    private struct Waiter: Sendable {
        let request: Request
        let continuation: CheckedContinuation<Turn, Never>
    }

    private struct State {
        var committing = false
        var queue: [Waiter] = []
    }

    private let state = Mutex(State())
    private let maxBatch: Int

    init(maxBatch: Int) {
        self.maxBatch = max(1, maxBatch)
    }

    /// Whether a batch is being written, and how many callers wait for the next one (for tests).
    var snapshot: (committing: Bool, queued: Int) {
        state.withLock { ($0.committing, $0.queue.count) }
    }

    /// Submits `request` and returns its response once the batch holding it has been written by `write`,
    /// which receives the requests of one batch in arrival order and returns one response per request.
    func submit(
        _ request: Request,
        write: ([Request]) async -> [Response]
    ) async -> Response {
        // Uncontended, the caller leads at once, without suspending.
        let leadsNow = state.withLock { state -> Bool in
            guard !state.committing else { return false }
            state.committing = true
            return true
        }
        if !leadsNow {
            let turn: Turn = await withCheckedContinuation { continuation in
                let lead = state.withLock { state -> Bool in
                    if state.committing {
                        state.queue.append(Waiter(request: request, continuation: continuation))
                        return false
                    }
                    state.committing = true
                    return true
                }
                if lead { continuation.resume(returning: .lead) }
            }
            if case .done(let response) = turn { return response }
        }

        // This caller leads: write its own request and whatever queued before this instant.
        let followers = state.withLock { state -> [Waiter] in
            let count = min(state.queue.count, maxBatch - 1)
            let taken = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            return taken
        }
        let responses = await write([request] + followers.map(\.request))
        for (index, follower) in followers.enumerated() {
            follower.continuation.resume(returning: .done(responses[index + 1]))
        }
        let next = state.withLock { state -> Waiter? in
            if state.queue.isEmpty {
                state.committing = false
                return nil
            }
            return state.queue.removeFirst()
        }
        // The next leader's own request rides in its continuation's owner; it resumes and writes.
        if let next { next.continuation.resume(returning: .lead) }
        return responses[0]
    }
}
