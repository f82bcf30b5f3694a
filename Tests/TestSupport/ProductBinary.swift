import Foundation

/// The path of one of the package's built executables (`crow-calls`, `crow-ledger`, `crow-bench`),
/// which `swift build --build-tests` puts beside the test bundle. `CROW_BIN_DIR` overrides the search.
public func productBinary(_ name: String) throws -> String {
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

public enum TestSupportError: Error, CustomStringConvertible {
    case missingBinary(String, searched: [String])

    public var description: String {
        switch self {
        case .missingBinary(let name, let searched):
            return "\(name) is not built (run swift build --build-tests); searched \(searched.joined(separator: ", "))"
        }
    }
}
