import ArgumentParser
import Foundation
import GRDB

/// `crow-ledger backup DEST`: a consistent copy of a gateway's data directory, taken while it runs.
///
/// The ledger is copied with SQLite's online backup API in one step: the copy is the database as of one
/// read transaction, so it holds every event committed before it and none of a transaction in flight,
/// and the gateway's writers go on meanwhile (WAL readers never block writers). The gateway's key files
/// (its Nostr identity and its Web Push key) are copied beside it with mode 0600: without them, a
/// restored gateway would be a stranger to its contacts and to the browsers subscribed to its pushes.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the data directory (ledger and keys) while the gateway runs.",
        discussion: """
            DEST becomes a data directory of its own (made with mode 0700 if missing; it must not hold a \
            ledger already): DEST/ledger.sqlite, and nostr.key and vapid.key when the source has them. To \
            restore, stop the gateway and start it with --data-dir DEST (or copy DEST's files back). Check \
            a copy with `crow-ledger verify --data-dir DEST`.
            """
    )

    @OptionGroup var location: LedgerLocation

    @Argument(help: "The directory to write the copy into.")
    var destination: String

    /// Files beside the ledger that belong to the gateway's identity.
    static let keyFiles = ["nostr.key", "vapid.key"]

    func run() throws {
        let source = try location.existingPath()
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: destination, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ValidationError("\(destination) exists and is not a directory") }
        } else {
            try manager.createDirectory(atPath: destination, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let target = (destination as NSString).appendingPathComponent("ledger.sqlite")
        for leftover in [target, target + "-wal", target + "-shm"] where manager.fileExists(atPath: leftover) {
            throw ValidationError("\(leftover) exists: back up into a new or empty directory")
        }
        let started = Date()
        var readOnly = Configuration()
        readOnly.readonly = true
        let from = try DatabaseQueue(path: source, configuration: readOnly)
        defer { try? from.close() }
        do {
            let to = try DatabaseQueue(path: target)
            try from.backup(to: to)
            // The copy should stand alone: fold its WAL into the file, and check it.
            let (events, check) = try to.writeWithoutTransaction { db -> (Int, String) in
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                let events = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0
                let check = try String.fetchOne(db, sql: "PRAGMA quick_check") ?? "no answer"
                return (events, check)
            }
            try to.close()
            guard check == "ok" else {
                print("FAILED: the copy does not pass SQLite's quick_check: \(check)")
                throw ExitCode(1)
            }
            try manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target)
            var copied = ["ledger.sqlite"]
            if location.db == nil {
                for name in Self.keyFiles {
                    let key = (location.dataDir as NSString).appendingPathComponent(name)
                    guard manager.fileExists(atPath: key) else { continue }
                    let copy = (destination as NSString).appendingPathComponent(name)
                    if manager.fileExists(atPath: copy) { try manager.removeItem(atPath: copy) }
                    try manager.copyItem(atPath: key, toPath: copy)
                    try manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: copy)
                    copied.append(name)
                }
            }
            let seconds = String(format: "%.2f", Date().timeIntervalSince(started))
            print("OK: \(events) events copied to \(target) (\(seconds) s); files: \(copied.joined(separator: ", "))")
        } catch let error as ExitCode {
            throw error
        } catch {
            print("FAILED: cannot back up \(source) to \(target): \(error)")
            throw ExitCode(1)
        }
    }
}
