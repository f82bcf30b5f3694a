import Foundation

/// The three servers `crow-bench signaling` puts side by side.
enum SignalingContender: String, CaseIterable, Sendable {
    /// The Crow Calls gateway (`buildApplication`), as a child process.
    case gateway
    /// tools/bench/python/ws_relay_baseline.py: the same minimal protocol on Python `websockets`.
    case python
    /// A WebSocket echo on the gateway's stack (Hummingbird + HummingbirdWebSocket): the ceiling.
    case echo
    /// The same echo, writing through a queue drained by one writer task per socket, as the gateway's
    /// sockets did until their messages were written straight from the hub: what that structure costs by
    /// itself (a diagnostic; not run by default).
    case echoQueued = "echo-queued"

    var label: String {
        switch self {
        case .gateway: return "gateway"
        case .python: return "python relay"
        case .echo: return "swift echo"
        case .echoQueued: return "echo + writer task"
        }
    }

    /// Whether the server greets each socket with a `welcome` holding its peer id.
    var sendsWelcome: Bool { self == .gateway || self == .python }

    /// What `crow-bench signaling run` runs without `--only`.
    static let standard: [SignalingContender] = [.gateway, .python, .echo]

    /// The interpreter and script of the Python relay, or why it cannot run.
    static func locatePython(explicit: String?) -> Result<(python: String, script: String), BenchError> {
        PythonScript.locate("tools/bench/python/ws_relay_baseline.py", python: explicit, venvHint: " with websockets")
    }
}
