import ArgumentParser
import Foundation
import GRDB
import Ledger

/// `crow-ledger log`: the ledger as a readable timeline, oldest first.
struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Print the events as a readable timeline.",
        discussion: "With --room, only that room's events and the tokens and invites that belong to it."
    )

    @OptionGroup var location: LedgerLocation

    @Option(help: "Only events of this room (its code).")
    var room: String?

    @Option(help: "Start after this position.")
    var after: Int64 = 0

    @Option(help: "Print at most this many events.")
    var limit: Int?

    func run() throws {
        let queue = try ReadOnlyLedger.open(try location.existingPath())
        try queue.read { db in
            var sql = "SELECT position FROM events WHERE position > ?"
            var arguments: StatementArguments = [after]
            if let room {
                sql += " AND (stream = ? OR json_extract(data, '$.room') = ?)"
                arguments += [StreamName.room(room), room]
            }
            sql += " ORDER BY position"
            if let limit { sql += " LIMIT \(max(0, limit))" }
            let positions = try Int64.fetchCursor(db, sql: sql, arguments: arguments)
            var printed = 0
            while let position = try positions.next() {
                try EventReader.forEach(in: db, positions: position...position) { event in
                    print(EventDescription.line(event))
                }
                printed += 1
            }
            if printed == 0 { FileHandle.standardError.write(Data("no events\n".utf8)) }
        }
    }
}

/// Opens a ledger file for reading only; tools that just look never change the file.
enum ReadOnlyLedger {
    static func open(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        // A running gateway may hold the file's locks for a moment (a commit or a checkpoint): wait.
        configuration.busyMode = .timeout(10)
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        _ = try queue.read { db in try Migrator.checkApplied(db) }
        return queue
    }
}
