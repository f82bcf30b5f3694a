import Foundation

/// One stored event as a replay reads it: its place, its time, and its payload's bytes, not yet decoded.
///
/// `decode()` is what `EventReader.forEachForReplay` does with each row, so a rebuild may decode a row
/// on another thread than the one that read it and get the same event, or the same error.
public struct ReplayRow: Sendable {
    public let position: Int64
    public let recordedAt: Int64
    let type: String
    let bytes: [UInt8]

    /// The payload: the common flat payloads by `FlatPayload`, the rest (and anything it does not
    /// expect) by `JSONDecoder`. Throws `corruptEvent` when the bytes are not UTF-8 or do not decode.
    public func decode() throws -> LedgerEvent {
        // Plain ASCII is valid UTF-8; anything else is checked the way `forEach` checks it.
        if !bytes.allSatisfy({ $0 < 0x80 }) { _ = try EventReader.text(of: bytes, at: position) }
        return try FlatPayload.decode(type: type, bytes: bytes)
            ?? EventReader.payload(type: type, data: Data(bytes), at: position)
    }
}
