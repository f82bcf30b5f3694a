import Notify
import OwnerStore
import PushDelivery
import Synchronization

/// Stands in for the push services and ntfy: records every send and answers each target (a push
/// subscription's id, or "ntfy") with the outcomes the test gave it, in order, the last one repeating;
/// `delivered` when none were given. A held target's sends wait until the sending task is cancelled,
/// and then answer `retryable`, as a send cut off by a stop would.
final class RecordingSender: NotificationSending {
    struct Send: Sendable, Equatable {
        var target: String
        var notice: CallNotice
    }

    private struct State {
        var answers: [String: [NotificationSender.Outcome]] = [:]
        var held: Set<String> = []
        var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
        var sends: [Send] = []
        var shutdowns = 0
    }

    let ntfyURL: String?
    private let state = Mutex(State())

    init(ntfyURL: String? = nil) {
        self.ntfyURL = ntfyURL
    }

    func answer(_ target: String, with outcomes: [NotificationSender.Outcome]) {
        state.withLock { $0.answers[target] = outcomes }
    }

    func hold(_ target: String) {
        state.withLock { _ = $0.held.insert(target) }
    }

    var sends: [Send] { state.withLock { $0.sends } }

    var shutdowns: Int { state.withLock { $0.shutdowns } }

    func sends(to target: String) -> [Send] { sends.filter { $0.target == target } }

    func sends(of call: String) -> [Send] { sends.filter { $0.notice.callId == call } }

    func push(_ notice: CallNotice, to record: PushSubscriptionRecord) async -> NotificationSender.Outcome {
        await send(notice, to: record.id)
    }

    func ntfy(_ notice: CallNotice) async -> NotificationSender.Outcome {
        await send(notice, to: "ntfy")
    }

    func shutdown() async {
        state.withLock { $0.shutdowns += 1 }
    }

    private func send(_ notice: CallNotice, to target: String) async -> NotificationSender.Outcome {
        let held = state.withLock { state -> Int? in
            state.sends.append(Send(target: target, notice: notice))
            guard state.held.contains(target) else { return nil }
            state.nextWaiter += 1
            return state.nextWaiter
        }
        if let id = held {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let cancelled = state.withLock { state in
                        if Task.isCancelled { return true }
                        state.waiting[id] = continuation
                        return false
                    }
                    if cancelled { continuation.resume() }
                }
            } onCancel: {
                state.withLock { $0.waiting.removeValue(forKey: id) }?.resume()
            }
            return .retryable("stopped while sending")
        }
        return state.withLock { state in
            guard var outcomes = state.answers[target], let next = outcomes.first else { return .delivered }
            if outcomes.count > 1 {
                outcomes.removeFirst()
                state.answers[target] = outcomes
            }
            return next
        }
    }
}

/// Counts the sends' outcomes by channel and result (`webpush/delivered`, `ntfy/failed`, …).
final class CountingDeliveryMetrics: DeliveryMetrics {
    let counts = Mutex([String: Int]())

    func notification(channel: String, result: String) {
        counts.withLock { $0["\(channel)/\(result)", default: 0] += 1 }
    }

    var total: Int { counts.withLock { $0.values.reduce(0, +) } }

    subscript(_ key: String) -> Int { counts.withLock { $0[key] ?? 0 } }
}
