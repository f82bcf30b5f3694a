import Synchronization

/// How many appends remain (unlimited without a limit).
final class AppendTickets: Sendable {
    private let remaining: Atomic<Int>
    private let limited: Bool

    init(limit: Int?) {
        limited = limit != nil
        remaining = Atomic(limit ?? 0)
    }

    func take() -> Bool {
        guard limited else { return true }
        return remaining.subtract(1, ordering: .relaxed).newValue >= 0
    }
}
