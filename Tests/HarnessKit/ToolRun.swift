import Dispatch
public import Foundation
import Synchronization

/// What a tool printed and how it ended.
public struct ToolOutput: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Where a tool's standard error goes.
public enum ToolErrorStream: Sendable {
    /// Collected into `ToolOutput.stderr`.
    case captured
    /// Written straight to this process's standard error (a tool's progress lines).
    case passedThrough
    /// Collected into `ToolOutput.stdout`, interleaved as the tool wrote it.
    case mergedIntoOutput
    case discarded
}

/// Runs a built tool to completion. `environment` adds to (or overrides) this process's environment.
///
/// The waiting happens on threads of its own: not on the cooperative pool, which a test that blocks
/// takes away from every other test (there are as many of its threads as cores), and not on dispatch's
/// global queues, which on Linux are as narrow and also carry name lookups. Both pipes are drained while
/// the tool runs, so a chatty tool cannot block on a full pipe.
public func runTool(
    _ binary: String, _ arguments: [String], environment: [String: String] = [:], errors: ToolErrorStream = .captured
) async throws -> ToolOutput {
    try await onOwnThread { try runToolBlocking(binary, arguments, environment: environment, errors: errors) }
}

/// `runTool` on the calling thread, for a caller that has nothing else to do meanwhile (crow-bench).
public func runToolBlocking(
    _ binary: String, _ arguments: [String], environment: [String: String] = [:], errors: ToolErrorStream = .captured
) throws -> ToolOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    switch errors {
    case .captured: process.standardError = err
    case .passedThrough: process.standardError = FileHandle.standardError
    case .mergedIntoOutput: process.standardError = out
    case .discarded: process.standardError = FileHandle.nullDevice
    }
    try process.run()
    let errData = Mutex(Data())
    let drained = DispatchSemaphore(value: 0)
    if case .captured = errors {
        Thread {
            let data = err.fileHandleForReading.readDataToEndOfFile()
            errData.withLock { $0 = data }
            drained.signal()
        }.start()
    } else {
        drained.signal()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    drained.wait()
    process.waitUntilExit()
    return ToolOutput(
        status: process.terminationStatus,
        stdout: String(decoding: outData, as: UTF8.self),
        stderr: errData.withLock { String(decoding: $0, as: UTF8.self) }
    )
}

/// Runs blocking work (waiting on a child process, sleeping between its steps) on a thread of its own
/// and waits for it without holding a thread of the cooperative pool.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
