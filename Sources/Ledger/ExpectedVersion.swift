/// What the caller believes a stream's version to be when it appends (optimistic concurrency).
public enum ExpectedVersion: Sendable, Hashable, CustomStringConvertible {
    /// Append whatever the current version is.
    case any
    /// The stream must not exist yet.
    case noStream
    /// The stream's last event must have exactly this version.
    case exact(Int)

    func admits(_ actual: Int) -> Bool {
        switch self {
        case .any: return true
        case .noStream: return actual == 0
        case .exact(let version): return actual == version
        }
    }

    public var description: String {
        switch self {
        case .any: return "any"
        case .noStream: return "no stream"
        case .exact(let version): return "\(version)"
        }
    }
}

/// Events to append to one stream, guarded by the version the caller expects.
public struct StreamAppend: Sendable {
    public var stream: String
    public var expected: ExpectedVersion
    public var events: [LedgerEvent]

    public init(stream: String, expected: ExpectedVersion, events: [LedgerEvent]) {
        self.stream = stream
        self.expected = expected
        self.events = events
    }

    /// A stream the append writes nothing to but whose version must still be `expected` when it
    /// commits: a decision that depends on a stream's state (a link for a room that must still be
    /// live) holds that state steady without writing to it. At least one stream of an append must
    /// carry events.
    public static func condition(stream: String, expected: ExpectedVersion) -> StreamAppend {
        StreamAppend(stream: stream, expected: expected, events: [])
    }
}
