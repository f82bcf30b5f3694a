public import Foundation

/// An event as it sits in the ledger.
public struct RecordedEvent: Sendable, Hashable {
    /// Global order, 1, 2, 3... with no gaps.
    public var position: Int64
    public var stream: String
    /// 1, 2, 3... within the stream.
    public var version: Int
    public var type: String
    /// The stored JSON text, exactly as written (unknown fields included).
    public var data: String
    /// Unix milliseconds.
    public var recordedAt: Int64
    /// SHA256(previous hash || canonical bytes); see `HashChain`.
    public var hash: Data
    /// The typed view of `data`.
    public var event: LedgerEvent

    public init(
        position: Int64,
        stream: String,
        version: Int,
        type: String,
        data: String,
        recordedAt: Int64,
        hash: Data,
        event: LedgerEvent
    ) {
        self.position = position
        self.stream = stream
        self.version = version
        self.type = type
        self.data = data
        self.recordedAt = recordedAt
        self.hash = hash
        self.event = event
    }
}
