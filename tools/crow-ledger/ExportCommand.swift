import ArgumentParser
import Foundation
import GRDB
import Ledger

/// `crow-ledger export --format jsonl`: every event as one JSON object per line.
struct ExportCommand: ParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case jsonl
    }

    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every event as JSON Lines.",
        discussion: """
            Each line: {"position","stream","version","type","recordedAt","hash","data"}, with hash in \
            hex and data the stored payload exactly as written. Goes to standard output unless --output.
            """
    )

    @OptionGroup var location: LedgerLocation

    @Option(help: "Output format.")
    var format: Format = .jsonl

    @Option(help: "Write to this file instead of standard output.")
    var output: String?

    func run() throws {
        let queue = try ReadOnlyLedger.open(try location.existingPath())
        let sink: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil) else {
                throw ValidationError("cannot create \(output)")
            }
            sink = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        } else {
            sink = FileHandle.standardOutput
        }
        defer { if output != nil { try? sink.close() } }
        let progress = Progress(enabled: output != nil && isatty(STDERR_FILENO) == 1)
        var buffer = Data()
        let count = try queue.read { db -> Int64 in
            let head = try EventReader.headPosition(in: db)
            var count: Int64 = 0
            try EventReader.forEach(in: db) { event in
                buffer.append(contentsOf: Self.line(event).utf8)
                count += 1
                if buffer.count > 1 << 20 {
                    sink.write(buffer)
                    buffer.removeAll(keepingCapacity: true)
                    progress.update("exporting", done: count, total: head)
                }
            }
            return count
        }
        sink.write(buffer)
        progress.finish()
        if output != nil { print("exported \(count) events to \(output!)") }
    }

    /// The stored payload is valid JSON (the table's CHECK says so), so it is embedded as it is.
    static func line(_ event: RecordedEvent) -> String {
        let hash = event.hash.map { String(format: "%02x", $0) }.joined()
        return #"{"position":\#(event.position),"stream":\#(quoted(event.stream)),"version":\#(event.version),"type":\#(quoted(event.type)),"recordedAt":\#(event.recordedAt),"hash":"\#(hash)","data":\#(event.data)}"#
            + "\n"
    }

    static func quoted(_ text: String) -> String {
        JSONValue.string(text).jsonText
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
