import Foundation
import GRDB
import Ledger
import Projections
import Testing

#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// A child process appends in a loop and prints each acknowledged position; it is killed with SIGKILL at
/// a random moment. Every position it printed must be in the file afterwards, and the file must verify.
@Suite struct CrashSafetyTests {
    @Test func everyAcknowledgedAppendSurvivesSIGKILL() async throws {
        let binary = try productBinary("crow-bench")
        let dir = try TemporaryDirectory()
        let path = dir.file("ledger.sqlite")
        var generator = SystemRandomNumberGenerator()
        var totalAcknowledged = 0
        let rounds = 12
        for round in 0..<rounds {
            let after = Int.random(in: 50...400, using: &generator)
            // The child is watched from a thread of its own: its waits must not hold the cooperative pool.
            let acknowledged = try await onOwnThread {
                try Self.runAndKill(binary: binary, arguments: ["append-loop", "--db", path, "--writers", "8"], afterMilliseconds: after)
            }
            #expect(!acknowledged.isEmpty, "round \(round): the child acknowledged nothing before it was killed")
            totalAcknowledged += acknowledged.count

            // Opening the file runs SQLite's WAL recovery, as the gateway would after a crash.
            let store = try EventStore(configuration: LedgerConfiguration(path: path), projector: CallProjector())
            let (head, stored, report) = try store.readSync { db in
                (
                    try EventReader.headPosition(in: db),
                    Set(try Int64.fetchAll(db, sql: "SELECT position FROM events")),
                    try ChainVerifier.verify(in: db)
                )
            }
            let missing = acknowledged.subtracting(stored)
            #expect(missing.isEmpty, "round \(round): acknowledged but missing: \(missing.sorted().prefix(10))")
            #expect(report.issues.isEmpty, "round \(round): \(report.issues.prefix(5))")
            #expect(Int64(stored.count) == head)
            // The projections committed with the events: they equal a rebuild from zero.
            let snapshot = try ProjectionRebuilder.rebuildSnapshot(of: store)
            try store.close()
            let mismatches = try ProjectionRebuilder.compare(snapshot: snapshot, livePath: path)
            #expect(mismatches.isEmpty, "round \(round): \(mismatches.prefix(5))")
        }
        #expect(totalAcknowledged > rounds)
    }

    /// Starts the child, waits until it has acknowledged something, lets it run `afterMilliseconds`
    /// more, kills it with SIGKILL and returns the positions it printed on complete lines.
    static func runAndKill(binary: String, arguments: [String], afterMilliseconds: Int) throws -> Set<Int64> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let reader = out.fileHandleForReading
        var buffer = Data()
        // Bounded wait for the first acknowledgement (the child opens the file and migrates first).
        let deadline = Date().addingTimeInterval(30)
        while !buffer.contains(UInt8(ascii: "\n")) && Date() < deadline && process.isRunning {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
        }
        usleep(useconds_t(afterMilliseconds * 1000))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        buffer.append(reader.readDataToEndOfFile())
        var positions: Set<Int64> = []
        let text = String(decoding: buffer, as: UTF8.self)
        // A line cut short by the kill has no newline and is not counted.
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == "ack", let position = Int64(parts[1]) {
                positions.insert(position)
            }
        }
        return positions
    }
}
