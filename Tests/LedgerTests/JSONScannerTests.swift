import CallSimulation
import Foundation
import Ledger
import Testing

/// The relay's JSON reader agrees with Foundation's on what is JSON (the frames it reads are the
/// signaling relay's; `ClientMessageParseTests` covers what the relay makes of them).
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
}
