import Foundation
import Testing

@testable import Signaling

/// A signaling frame read by `ClientMessage.parse` (on `JSONScanner`): the signal's data keeps the
/// sender's bytes, escapes are read, and hostile frames are refused with the right code.
@Suite struct ClientMessageParseTests {
    @Test func theSignalsDataIsRelayedAsTheSenderWroteIt() throws {
        let frame = #"{ "to" : "bob", "data" : {"candidate": {"candidate":"c:1 \u00e9", "n": 1.50}} , "type":"signal","extra":[1,{"x":null}]}"#
        let message = try ClientMessage.parse(frame)
        #expect(message == .signal(to: "bob", data: RawJSON(checked: #"{"candidate": {"candidate":"c:1 \u00e9", "n": 1.50}}"#)))
        let out = ServerMessage.signal(from: "ada\"<", data: RawJSON(checked: #"{"candidate": {"n": 1.50}}"#)).json
        #expect(out == #"{"data":{"candidate": {"n": 1.50}},"from":"ada\"<","type":"signal"}"#)
        let decoded = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
        #expect(decoded?["from"] as? String == "ada\"<")
    }

    @Test func escapedKeysAndValuesAreRead() throws {
        #expect(try ClientMessage.parse(#"{"\u0074ype":"p\u0069ng"}"#) == .ping)
        #expect(try ClientMessage.parse(#"{"type":"state","name":"Zo\u00eb \ud83d\ude00","audio":false,"video":null}"#)
            == .state(audio: false, video: nil, screen: nil, name: "Zoë 😀"))
        // The last of a repeated key counts.
        #expect(try ClientMessage.parse(#"{"type":"state","type":"leave"}"#) == .leave)
    }

    @Test func hostileFramesAreRefusedWithTheRightCode() {
        let cases: [(String, String)] = [
            (#"{"type":"signal","to":"b","data":{"candidate":"# + String(repeating: "[", count: 100) + "1" + String(repeating: "]", count: 100) + "}}", "invalid_json"),
            (#"{"type":"signal","to":"b","data":{"description":1},}"#, "invalid_json"),
            (#"{"type":"signal","to":"","data":{"candidate":1}}"#, "invalid_message"),
            (#"{"type":"signal","to":"b","data":"{\"candidate\":1}"}"#, "invalid_message"),
            (#"{"type":"signal","to":"b","data":{"nested":{"candidate":1}}}"#, "invalid_message"),
            (#"{"type":"signal","to":"\#(String(repeating: "x", count: 65))","data":{"candidate":1}}"#, "invalid_message"),
            (#"{"type":"state","audio":"yes"}"#, "invalid_message"),
            (#"{"type":"state","name":5}"#, "invalid_message"),
            (#"{"type":7}"#, "invalid_message"),
            (#"{"type":"dance"}"#, "unknown_type"),
            (#"[{"type":"ping"}]"#, "invalid_json"),
        ]
        for (frame, code) in cases {
            #expect(throws: ClientMessage.Invalid.self, "\(frame.prefix(80))") { try ClientMessage.parse(frame) }
            do {
                _ = try ClientMessage.parse(frame)
            } catch {
                #expect(error.code == code, "\(frame.prefix(80))")
            }
        }
    }
}
