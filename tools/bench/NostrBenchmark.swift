import ArgumentParser
import Foundation
import HarnessKit
import Nostr

/// `crow-bench nostr`: the Nostr module's operations per second beside nostr-sdk's (rust-nostr through
/// its Python bindings), alternating round by round: signing an event (id and BIP-340 signature),
/// verifying it, and NIP-44 v2 encryption and decryption of a 300-byte message. Each NIP-44 operation
/// includes the ECDH and HKDF of the conversation key, as nostr-sdk's call does.
struct NostrBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "nostr", abstract: "Sign, verify and NIP-44 operations per second vs nostr-sdk.")

    @Option(help: "Rounds.") var rounds = 3
    @Option(help: "Seconds per operation and round.") var seconds = 1.0
    @Option(help: "Python for nostr-sdk (default: the repository's .venv).") var python: String?
    @Option(help: "Timed invites from one gateway to another (0 skips).") var invites = 20

    func run() async throws {
        let alice = NostrSecretKey.generate()
        let bob = NostrSecretKey.generate()
        let text = String(repeating: "x", count: 300)
        let event = NostrEvent.signed(by: alice, kind: 4, tags: [["p", bob.publicKey.hex]], content: text)
        let payload = try NIP44.encrypt(text, conversationKey: try NIP44.conversationKey(alice, bob.publicKey))
        let id = Hex.decode(event.id) ?? []
        let signature = Hex.decode(event.sig) ?? []
        let author = alice.publicKey
        let operations: [(String, () throws -> Void)] = [
            ("sign", { _ = NostrEvent.signed(by: alice, kind: 4, tags: [["p", bob.publicKey.hex]], content: text) }),
            ("verify", { guard event.isValid else { throw BenchError("verify failed") } }),
            // libsecp256k1's schnorrsig_verify alone, with the key parsed and the id known: the floor
            // under "verify" on this build of the library.
            ("schnorr_only", { guard author.verify(signature: signature, message: id) else { throw BenchError("verify failed") } }),
            ("nip44_encrypt", { _ = try NIP44.encrypt(text, conversationKey: try NIP44.conversationKey(alice, bob.publicKey)) }),
            ("nip44_decrypt", { _ = try NIP44.decrypt(payload, conversationKey: try NIP44.conversationKey(bob, alice.publicKey)) }),
        ]
        let located = PythonScript.locate("tools/bench/python/nostr_sdk_bench.py", python: python, venvHint: " with nostr-sdk")
        var ours: [String: [Double]] = [:]
        var theirs: [String: [Double]] = [:]
        for round in 1...rounds {
            for (name, operation) in operations {
                ours[name, default: []].append(try Self.rate(seconds: seconds, operation))
            }
            if case .success(let (pythonPath, script)) = located {
                for (name, value) in try Self.runPython(pythonPath, script, seconds: seconds) { theirs[name, default: []].append(value) }
            }
            log("  round \(round) done")
        }
        if case .failure(let error) = located { log("nostr-sdk figures skipped: \(error)") }
        var table = TextTable(["operation", "ours/s (median)", "nostr-sdk/s (median)", "ratio"])
        for (name, _) in operations {
            let mine = Statistics.median(ours[name] ?? [])
            let other = Statistics.median(theirs[name] ?? [])
            let ratio = other > 0 ? String(format: "%.2f×", mine / other) : "—"
            table.add([name, String(format: "%.0f", mine), String(format: "%.0f", other), ratio])
        }
        var lines = [table.render()]
        if invites > 0, case .success(let (pythonPath, _)) = located,
            case .success(let (_, script)) = PythonScript.locate("tools/bench/python/invite_latency.py", python: python, venvHint: "")
        {
            log("timing \(invites) invites from one gateway to another, through its inbox and through a relay")
            let arguments = ["--bin-dir", SignalingProcStats.executableDirectory().path, "--invites", "\(invites)"]
            if let figures = try PythonScript.runFigures(python: pythonPath, script: script, arguments: arguments) {
                lines.append("")
                for (key, path) in [("inbox_ms", "B's inbox"), ("relay_ms", "a local relay")] {
                    guard let samples = figures[key], !samples.isEmpty else { continue }
                    let p95 = Statistics.percentile(samples, 0.95)
                    let summary = String(
                        format: "p50 %.0f ms, p95 %.0f ms, max %.0f ms",
                        Statistics.median(samples),
                        p95,
                        samples.max() ?? 0
                    )
                    lines.append(
                        "POST /api/rooms on A → call in B's Incoming (through \(path), \(samples.count) invites): \(summary) "
                            + "(target < 1000 ms: \(p95 < 1000 ? "PASS" : "MISS"))"
                    )
                }
            } else {
                log("invite latency failed")
            }
        }
        print(lines.joined(separator: "\n"))
    }

    static func rate(seconds: Double, _ operation: () throws -> Void) throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        var count = 0
        while true {
            for _ in 0..<50 { try operation() }
            count += 50
            let elapsed = clock.now - start
            let secondsElapsed = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            if secondsElapsed >= seconds { return Double(count) / secondsElapsed }
        }
    }

    static func runPython(_ python: String, _ script: String, seconds: Double) throws -> [String: Double] {
        let run = try runToolBlocking(python, [script, "--seconds", "\(seconds)"], errors: .passedThrough)
        guard run.status == 0,
            let figures = try? JSONDecoder().decode([String: Double].self, from: Data(run.stdout.utf8))
        else { throw BenchError("nostr_sdk_bench.py failed") }
        return figures
    }
}
