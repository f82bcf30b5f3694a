import NIOCore

/// The bytes of the benchmark's signaling messages, built and read without a JSON library so the
/// client spends as little CPU as possible per message (it shares two cores with the server).
///
/// Every contender gets the same text: a realistic trickled ICE candidate (~300 bytes on the wire)
/// whose `candidate` object carries one extra string field `t`, the sender's monotonic clock in
/// nanoseconds. It is a string, not a number, so the gateway's JSON round trip (numbers become
/// `Double`s) cannot change it. Sender and receiver are in this process, so the clock is the same.
enum SignalingWire {
    /// `"t":"` — what precedes the timestamp digits in every relayed or echoed message.
    static let marker: [UInt8] = Array(#""t":""#.utf8)
    static let suffix: [UInt8] = Array(#""}}}"#.utf8)
    private static let candidate =
        #"{"candidate":"candidate:842163049 1 udp 1677729535 198.51.100.7 50210 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag sN4f network-cost 999","sdpMid":"0","sdpMLineIndex":0,"t":""#

    /// Everything of a `signal` message to `target` before the timestamp digits, or nil when the
    /// peer id (from the server) is not a plain identifier that can be put in JSON unescaped.
    static func prefix(to target: String) -> [UInt8]? {
        guard isPlainIdentifier(target) else { return nil }
        return Array(#"{"type":"signal","to":"\#(target)","data":{"candidate":"#.utf8) + Array(candidate.utf8)
    }

    static func isPlainIdentifier(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
    }

    /// Writes one complete message: prefix, the decimal digits of `stamp`, suffix.
    static func write(prefix: [UInt8], stamp: UInt64, into buffer: inout ByteBuffer) {
        buffer.writeBytes(prefix)
        var digitCount = 1
        var rest = stamp / 10
        while rest > 0 {
            digitCount += 1
            rest /= 10
        }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: digitCount) { raw in
            var value = stamp
            for position in stride(from: digitCount - 1, through: 0, by: -1) {
                raw[position] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
            return digitCount
        }
        buffer.writeBytes(suffix)
    }

    /// The timestamp in a received message, or nil when it carries none (welcome, peer-joined, ...).
    /// Scans for the marker, then reads at most 20 digits up to the closing quote.
    static func stamp(in buffer: ByteBuffer) -> UInt64? {
        buffer.withUnsafeReadableBytes { bytes -> UInt64? in
            let count = bytes.count
            let markerCount = marker.count
            guard count > markerCount else { return nil }
            var index = 0
            while index + markerCount < count {
                if (0..<markerCount).allSatisfy({ bytes[index + $0] == marker[$0] }) {
                    var value: UInt64 = 0
                    var position = index + markerCount
                    var digits = 0
                    while position < count, digits < 20 {
                        let byte = bytes[position]
                        if byte == UInt8(ascii: "\"") { return digits > 0 ? value : nil }
                        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                        let (product, overflowMultiply) = value.multipliedReportingOverflow(by: 10)
                        let (sum, overflowAdd) = product.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                        guard !overflowMultiply, !overflowAdd else { return nil }
                        value = sum
                        position += 1
                        digits += 1
                    }
                    return nil
                }
                index += 1
            }
            return nil
        }
    }

    /// Whether a control message is an `error` from the server (both servers write compact JSON).
    static func isError(_ buffer: ByteBuffer) -> Bool {
        buffer.readableBytesView.firstRange(of: Array(#""type":"error""#.utf8)) != nil
    }
}
