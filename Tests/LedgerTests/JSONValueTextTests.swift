import Foundation
import Ledger
import Testing

/// The hand-written JSON text matches what `JSONEncoder` writes, and reads back to the same value.
@Suite struct JSONValueTextTests {
    static let samples: [String] = [
        #"{"type":"signal","data":{"description":{"type":"offer","sdp":"v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\n"}}}"#,
        #"{"candidate":{"candidate":"candidate:1 1 udp 2122260223 10.0.0.1 54321 typ host","sdpMLineIndex":0,"sdpMid":"0"}}"#,
        #"{"b":[1,2.5,-3,1e20,true,false,null],"a":"\u0000\u001f\"\\/é😀\u2028","c":{}}"#,
        #"[[],[[]],{"z":{"y":{"x":"</script>"}}}]"#,
        #""plain""#,
    ]

    @Test(arguments: samples)
    func matchesJSONEncoderAndRoundTrips(sample: String) throws {
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(sample.utf8))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let reference = String(decoding: try encoder.encode(value), as: UTF8.self)
        #expect(value.jsonText == reference)
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(value.jsonText.utf8)) == value)
    }
}
