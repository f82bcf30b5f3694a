import ArgumentParser
import Foundation
import GRDB
import Ledger
import Projections

/// `crow-ledger replay --until <time|position>`: the projections as they stood at a moment in the past.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Show the projection state as of a past position or time.",
        discussion: """
            --until takes a ledger position (a number, e.g. 1200) or a time in ISO 8601 \
            (2026-11-25T14:00:00Z, or 2026-11-25 for the start of that day, UTC). The live file is only \
            read; the replayed state is built in memory, and --save writes it to a new SQLite file.
            """
    )

    @OptionGroup var location: LedgerLocation

    @Option(help: "A position, or an ISO 8601 time.")
    var until: String

    @Option(help: "Also write the replayed projections to this new SQLite file.")
    var save: String?

    func run() throws {
        let queue = try ReadOnlyLedger.open(try location.existingPath())
        let progress = Progress()
        let (position, asOf, snapshot) = try queue.read { db -> (Int64, Int64?, DatabaseQueue) in
            let (position, asOf) = try Self.resolve(until, in: db)
            let snapshot = try ProjectionRebuilder.rebuildSnapshot(from: db, through: position) { done, total in
                progress.update("replaying", done: done, total: total)
            }
            return (position, asOf, snapshot)
        }
        progress.finish()
        let recordedAt = try queue.read { db in
            try Int64.fetchOne(db, sql: "SELECT recorded_at FROM events WHERE position = ?", arguments: [position])
        }
        let now = asOf ?? recordedAt ?? 0
        try snapshot.read { db in try Self.printState(db, position: position, now: now) }
        if let save {
            guard !FileManager.default.fileExists(atPath: save) else { throw ValidationError("\(save) already exists") }
            try snapshot.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [save]) }
            print("saved the replayed projections to \(save)")
        }
    }

    /// The last position to replay, and the moment asked for when it was a time.
    static func resolve(_ text: String, in db: Database) throws -> (Int64, Int64?) {
        let head = try EventReader.headPosition(in: db)
        if let position = Int64(text) {
            guard position >= 0 else { throw ValidationError("--until position must not be negative") }
            guard position <= head else { throw ValidationError("--until \(position) is past the last position (\(head))") }
            return (position, nil)
        }
        guard let time = parseTime(text) else {
            throw ValidationError("--until \"\(TerminalText.safe(text))\" is neither a position nor an ISO 8601 time")
        }
        return (try EventReader.lastPosition(atOrBefore: time, in: db), time)
    }

    static func parseTime(_ text: String) -> Int64? {
        let full = ISO8601DateFormatter()
        full.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        for formatter in [full, plain, day] {
            if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970 * 1000) }
        }
        return nil
    }

    static func printState(_ db: Database, position: Int64, now: Int64) throws {
        let s = TerminalText.safe
        print("state as of position \(position) (\(EventDescription.timestamp(now)))")
        let live = try Queries.liveRooms(in: db)
        print("\nlive rooms: \(live.count)")
        for room in live {
            print("  \(s(room.code))  host \(s(room.hostName))  \(room.peerCount)/\(room.maxPeers) peers  expires \(EventDescription.timestamp(room.expiresAt))")
            for peer in try Queries.peers(in: room.code, db: db) {
                print("    \(s(peer.displayName)) (peer \(s(peer.peerId)), since \(EventDescription.timestamp(peer.joinedAt)))")
            }
        }
        let tokens = try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM tokens GROUP BY state ORDER BY state")
        print("\ntokens: " + (tokens.isEmpty ? "none" : tokens.map { "\($0["n"] as Int) \($0["state"] as String)" }.joined(separator: ", ")))
        let ringWindow: Int64 = 60_000
        let incoming = try Queries.recentIncoming(now: now, in: db)
        print("\nincoming calls in the last hour (undismissed): \(incoming.count)")
        for call in incoming {
            print("  \(EventDescription.timestamp(call.receivedAt))  \(s(call.senderName))  \(call.status(now: now, ringWindow: ringWindow))  room \(s(call.roomCode))")
        }
        let outgoing = try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM outgoing_invites GROUP BY state ORDER BY state")
        print("\noutgoing invites: " + (outgoing.isEmpty ? "none" : outgoing.map { "\($0["n"] as Int) \($0["state"] as String)" }.joined(separator: ", ")))
        print("bell: \(try Queries.bell(in: db).unread) unread")
        let history = try Queries.history(limit: 10, in: db)
        print("\nlatest calls:")
        for call in history {
            let duration = call.durationMs.map { EventDescription.duration($0) } ?? "-"
            print("  \(EventDescription.timestamp(call.startedAt))  \(call.direction)  \(s(call.counterpart))  \(call.outcome(now: now, ringWindow: ringWindow))  \(duration)")
        }
        if history.isEmpty { print("  none") }
    }
}
