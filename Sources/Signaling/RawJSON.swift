public import Ledger

/// A JSON value kept as the text it arrived in, already checked by `JSONScanner`: the `data` of a
/// signal, relayed to the other peer as the sender wrote it.
public struct RawJSON: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    /// Text that `JSONScanner` has checked.
    init(checked text: String) { self.text = text }

    /// A value's canonical text (tests and tools).
    public init(_ value: JSONValue) { text = value.jsonText }

    public var description: String { text }
}
