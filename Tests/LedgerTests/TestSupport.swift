import Foundation
import Synchronization
import GRDB
import Ledger
import Projections

/// A directory under the system temp dir, removed when the test is done with it.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "crow-ledger-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A fresh ledger file with the call projections.
func makeStore(
    in directory: TemporaryDirectory,
    name: String = "ledger.sqlite",
    synchronous: SynchronousMode = .full,
    clock: @escaping @Sendable () -> Int64 = LedgerClock.systemMilliseconds
) throws -> EventStore {
    try EventStore(
        configuration: LedgerConfiguration(path: directory.file(name), synchronous: synchronous, clock: clock),
        projector: CallProjector()
    )
}

/// A valid `room.created` for a new room.
func roomCreated(_ code: String, maxPeers: Int = 4) -> LedgerEvent {
    .roomCreated(RoomCreated(code: code, hostName: "Host", maxPeers: maxPeers, createdBy: .api, expiresAt: 4_000_000_000_000))
}

func peerJoined(_ code: String, peer: String, token: String = "t") -> LedgerEvent {
    .peerJoined(PeerJoined(room: code, peerId: peer, displayName: "Peer \(peer)", tokenId: token))
}

/// Opens the file with plain SQLite, bypassing the ledger, the way an attacker or a careless operator would.
func rawQueue(_ path: String) throws -> DatabaseQueue {
    try DatabaseQueue(path: path)
}

/// A twelve-character room code from a number, so tests can make many distinct rooms.
func roomCode(_ n: Int) -> String {
    let digits = String(n, radix: 36)
    return String(repeating: "a", count: max(0, 12 - digits.count)) + digits
}

/// The path of one of the package's built executables (`crow-bench`, `crow-ledger`), which
/// `swift build --build-tests` puts beside the test bundle.
func productBinary(_ name: String) throws -> String {
    var candidates: [String] = []
    if let override = ProcessInfo.processInfo.environment["CROW_BIN_DIR"] { candidates.append(override) }
    for path in [CommandLine.arguments.first, Bundle.main.executablePath].compactMap({ $0 }) {
        var url = URL(fileURLWithPath: path).deletingLastPathComponent()
        // macOS bundles nest the executable under Contents/MacOS.
        for _ in 0..<4 {
            candidates.append(url.path)
            url = url.deletingLastPathComponent()
        }
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    candidates.append(root.appendingPathComponent(".build/debug").path)
    for directory in candidates {
        let binary = (directory as NSString).appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: binary) { return binary }
    }
    throw TestSupportError.missingBinary(name, searched: candidates)
}

enum TestSupportError: Error, CustomStringConvertible {
    case missingBinary(String, searched: [String])

    var description: String {
        switch self {
        case .missingBinary(let name, let searched):
            return "\(name) is not built (run swift build --build-tests); searched \(searched.joined(separator: ", "))"
        }
    }
}

/// Runs a built tool to completion and returns its exit status and output.
func runTool(_ binary: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Drain both pipes while the tool runs so a chatty tool cannot block on a full pipe.
    let errData = Mutex(Data())
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        let data = err.fileHandleForReading.readDataToEndOfFile()
        errData.withLock { $0 = data }
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return (
        process.terminationStatus,
        String(decoding: outData, as: UTF8.self),
        errData.withLock { String(decoding: $0, as: UTF8.self) }
    )
}
