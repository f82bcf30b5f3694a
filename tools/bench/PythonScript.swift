import Foundation
import HarnessKit

/// Finds a Python baseline script of this repository and the venv interpreter that runs it, looking
/// from the working directory and from the executable's directory upwards (so both `swift run` and a
/// copied binary under `.build/release` work).
enum PythonScript {
    static func locate(
        _ relative: String,
        python explicit: String?,
        venvHint: String
    ) -> Result<(python: String, script: String), BenchError> {
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
            return .failure(BenchError("\(python) missing (run tools/bootstrap.sh to create the venv\(venvHint))"))
        }
        return .success((python, "\(root)/\(relative)"))
    }

    /// Runs `script` with `arguments` (stderr passes through for progress lines) and decodes the last
    /// line of its output: one JSON object of named sample lists. Nil when it fails.
    static func runFigures(python: String, script: String, arguments: [String]) throws -> [String: [Double]]? {
        let run = try runToolBlocking(python, [script] + arguments, errors: .passedThrough)
        guard run.status == 0, let line = run.stdout.split(separator: "\n").last else { return nil }
        return try? JSONDecoder().decode([String: [Double]].self, from: Data(line.utf8))
    }
}
