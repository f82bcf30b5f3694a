public import Foundation
import Crypto

/// The ledger's tamper-evident hash chain (docs/LEDGER.md).
///
/// `hash(n) = SHA256(hash(n-1) || canonical(n))`, with `hash(0)` = 32 zero bytes. The canonical bytes
/// of an event are, in this order and with no separators:
///
/// | field         | encoding                                        |
/// |---------------|-------------------------------------------------|
/// | position      | 8 bytes, signed, big-endian                     |
/// | stream        | 4-byte big-endian length, then UTF-8 bytes      |
/// | version       | 8 bytes, signed, big-endian                     |
/// | type          | 4-byte big-endian length, then UTF-8 bytes      |
/// | recorded_at   | 8 bytes, signed, big-endian (unix milliseconds) |
/// | data          | 4-byte big-endian length, then UTF-8 bytes      |
///
/// The length prefixes make the encoding unambiguous: no two different events share canonical bytes.
public enum HashChain {
    public static let genesis = Data(repeating: 0, count: 32)

    public static func canonicalBytes(
        position: Int64,
        stream: String,
        version: Int,
        type: String,
        recordedAt: Int64,
        data: String
    ) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(48 + stream.utf8.count + type.utf8.count + data.utf8.count)
        appendInt64(position, to: &bytes)
        appendText(stream, to: &bytes)
        appendInt64(Int64(version), to: &bytes)
        appendText(type, to: &bytes)
        appendInt64(recordedAt, to: &bytes)
        appendText(data, to: &bytes)
        return bytes
    }

    public static func hash(
        previous: Data,
        position: Int64,
        stream: String,
        version: Int,
        type: String,
        recordedAt: Int64,
        data: String
    ) -> Data {
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(
            data: canonicalBytes(
                position: position,
                stream: stream,
                version: version,
                type: type,
                recordedAt: recordedAt,
                data: data
            )
        )
        return Data(hasher.finalize())
    }

    private static func appendInt64(_ value: Int64, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    private static func appendText(_ text: String, to bytes: inout [UInt8]) {
        let utf8 = Array(text.utf8)
        withUnsafeBytes(of: UInt32(utf8.count).bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: utf8)
    }
}
