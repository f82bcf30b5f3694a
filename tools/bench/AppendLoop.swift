import ArgumentParser
import Foundation
import Ledger
import Projections

/// `crow-bench append-loop`: appends valid call events from concurrent writers until killed (or `--count`
/// appends), printing `ack <position>` for each event only after its append returned. The crash-safety
/// test SIGKILLs it at a random moment and checks that every acknowledged position survived.
struct AppendLoop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append-loop",
        abstract: "Append call events forever from concurrent writers, printing `ack <position>` per durable event."
    )

    @Option(name: .long, help: "The ledger file (created if missing).")
    var db: String

    @Option(name: .long, help: "Concurrent writers.")
    var writers: Int = 8

    @Option(name: .long, help: "Durability of each commit: full or normal.")
    var synchronous: DurabilityArgument = .full

    @Option(name: .long, help: "Stop after this many successful appends and exit 0 (default: never stop).")
    var count: Int?

    func validate() throws {
        guard writers >= 1, writers <= 4096 else { throw ValidationError("--writers must be 1...4096") }
        if let count, count < 0 { throw ValidationError("--count must be >= 0") }
    }

    func run() async throws {
        let store: EventStore
        do {
            store = try EventStore(
                configuration: LedgerConfiguration(path: db, synchronous: synchronous.mode),
                projector: CallProjector()
            )
        } catch {
            FileHandle.standardError.write(Data("crow-bench append-loop: cannot open \(db): \(error)\n".utf8))
            throw ExitCode(1)
        }
        let output = AckWriter()
        let tickets = AppendTickets(limit: count)
        let runKey = UInt64.random(in: 0...UInt64.max)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        try await Self.write(lane: writer, key: runKey, store: store, tickets: tickets, output: output)
                    }
                }
                try await group.waitForAll()
            }
        } catch {
            FileHandle.standardError.write(Data("crow-bench append-loop: \(error)\n".utf8))
            throw ExitCode(1)
        }
        try? store.close()
    }

    /// One writer: takes a ticket per append; a refused append (a code collision with an earlier run)
    /// drops the rest of its episode and retries with a new one under the same ticket.
    private static func write(
        lane: Int,
        key: UInt64,
        store: EventStore,
        tickets: AppendTickets,
        output: AckWriter
    ) async throws {
        var workload = CallWorkload(lane: lane, key: key)
        while tickets.take() {
            while true {
                let append = workload.nextCommand(now: Stopwatch.unixMilliseconds())
                do {
                    let recorded = try await store.append(append)
                    output.write(lines: recorded.map { "ack \($0.position)" })
                    break
                } catch {
                    switch error {
                    case .versionConflict, .invalidAppend:
                        workload.abandonEpisode()
                    default:
                        throw error
                    }
                }
            }
        }
    }
}
