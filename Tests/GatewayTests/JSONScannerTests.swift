import CallSimulation
import Foundation
import Ledger
@testable import Signaling
import Testing

@testable import Gateway

/// The relay's JSON reader agrees with Foundation's on what is JSON, and the parsed signal keeps the
/// sender's bytes.
@Suite struct JSONScannerTests {
    static func scannerAccepts(_ text: String) -> Bool {
        var scanner = JSONScanner(Array(text.utf8), maxDepth: 512)
        guard (try? scanner.skipValue()) != nil else { return false }
        scanner.skipWhitespace()
        return scanner.atEnd
    }

    /// What RFC 8259 accepts, by Foundation's reader, except that Foundation also takes a trailing
    /// comma (`[1,]`), which browsers' `JSON.parse` refuses: a relayed `data` has to parse there.
    static func foundationAccepts(_ text: String) -> Bool {
        if hasTrailingComma(text) { return false }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil
    }

    /// A comma followed (after whitespace) by `}` or `]`, outside strings: `"a,}"` is a fine string.
    static func hasTrailingComma(_ text: String) -> Bool {
        var inString = false
        var escaped = false
        var afterComma = false
        for byte in text.utf8 {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                afterComma = false
            case UInt8(ascii: ","):
                afterComma = true
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                continue
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if afterComma { return true }
            default:
                afterComma = false
            }
        }
        return false
    }

    @Test(arguments: [
        #"{}"#, #"[]"#, #"{"a":1}"#, #" { "a" : [ 1 , 2.5 , -3e+2 , true , false , null ] } "#, #""x""#, #"0"#, #"-0.0e0"#,
        #"{"a":"\u00e9\ud83d\ude00\n\t\"\\\/"}"#, #"[{"a":{"b":[[]]}}]"#, "{\"a\":\"é 😀\"}",
        #"{"a":1,}"#, #"[1,]"#, #"{"a"}"#, #"{"a":}"#, #"{a:1}"#, #"[01]"#, #"[1.]"#, #"[.5]"#, #"[1e]"#, #"[+1]"#, #"["\x"]"#,
        #"["\u12"]"#, "[\"a\u{01}b\"]", #"[tru]"#, #"[nul]"#, #"{"a":1}}"#, #"{"a":1} x"#, #"""#, #"["#, "", " ", #"[1 2]"#,
        #"{"a":1 "b":2}"#, #"{,}"#, #"[-]"#, #"["\"]"#, #"{"a":"x,}y"}"#, #"["1,]"]"#, #"[1 ,\n ]"#,
    ])
    func agreesWithFoundation(_ text: String) {
        #expect(Self.scannerAccepts(text) == Self.foundationAccepts(text), "\(text)")
    }

    @Test func randomMutationsOfARealSignalAgreeWithFoundation() {
        let base = Array(#"{"type":"signal","to":"peer-1","data":{"candidate":{"candidate":"candidate:1 1 udp 2122260223 10.0.0.1 54321 typ host","sdpMid":"0","sdpMLineIndex":0}}}"#.utf8)
        let alphabet = Array(#"{}[]":,\ "0123456789.-eEtrufalsn\#u{01}"#.utf8)
        // Seeded, so that a run fails or passes the same way every time.
        let seed: UInt64 = 20_261_202
        var generator = SeededRandom(seed: seed)
        for _ in 0..<10_000 {
            var bytes = base
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let at = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[at] = alphabet.randomElement(using: &generator)!
                case 1: bytes.remove(at: at)
                default: bytes.insert(alphabet.randomElement(using: &generator)!, at: at)
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(Self.scannerAccepts(text) == Self.foundationAccepts(text), "seed \(seed): \(text)")
        }
    }

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
