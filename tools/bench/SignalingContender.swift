import Foundation

/// The three servers `crow-bench signaling` puts side by side.
enum SignalingContender: String, CaseIterable, Sendable {
    /// The Crow Calls gateway (`buildApplication`), as a child process.
    case gateway
    /// tools/bench/python/ws_relay_baseline.py: the same minimal protocol on Python `websockets`.
    case python
    /// A WebSocket echo on the gateway's stack (Hummingbird + HummingbirdWebSocket): the ceiling.
    case echo

    var label: String {
        switch self {
        case .gateway: return "gateway"
        case .python: return "python relay"
        case .echo: return "swift echo"
        }
    }

    /// Whether the server greets each socket with a `welcome` holding its peer id.
    var sendsWelcome: Bool { self != .echo }

    /// The interpreter and script of the Python relay, or why it cannot run.
    static func locatePython(explicit: String?) -> Result<(python: String, script: String), BenchError> {
        let relative = "tools/bench/python/ws_relay_baseline.py"
        var roots = [FileManager.default.currentDirectoryPath]
        var directory = SignalingProcStats.executableDirectory()
        for _ in 0..<6 {
            roots.append(directory.path)
            directory = directory.deletingLastPathComponent()
        }
        guard let root = roots.first(where: { FileManager.default.fileExists(atPath: "\($0)/\(relative)") }) else {
            return .failure(BenchError("\(relative) not found near the working directory or the executable"))
        }
        let python = explicit ?? "\(root)/.venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            return .failure(BenchError("\(python) missing (run tools/bootstrap.sh to create the venv with websockets)"))
        }
        return .success((python, "\(root)/\(relative)"))
    }
}
