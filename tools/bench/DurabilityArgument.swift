import ArgumentParser
import Ledger

/// `--synchronous full|normal`.
enum DurabilityArgument: String, ExpressibleByArgument, CaseIterable, Sendable {
    case full, normal

    var mode: SynchronousMode {
        switch self {
        case .full: return .full
        case .normal: return .normal
        }
    }
}
