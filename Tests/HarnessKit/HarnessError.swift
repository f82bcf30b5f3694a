/// A failure of the harness itself (a wait that ran out, a file or socket it could not make), not of
/// what it drives.
public enum HarnessError: Error, CustomStringConvertible {
    case timedOut(String)
    case failed(String)

    public var description: String {
        switch self {
        case .timedOut(let what): return "timed out: \(what)"
        case .failed(let what): return what
        }
    }
}
