public import Decisions
public import Ledger

/// A command's failure: refused by a decision, or a storage failure of the ledger.
public enum CallError: Error, Sendable, Equatable, CustomStringConvertible {
    case rejected(Rejection)
    case ledger(LedgerError)

    public var code: String {
        switch self {
        case .rejected(let rejection): return rejection.code
        case .ledger(let error): return error.code
        }
    }

    public var description: String {
        switch self {
        case .rejected(let rejection): return rejection.description
        case .ledger(let error): return error.description
        }
    }
}
