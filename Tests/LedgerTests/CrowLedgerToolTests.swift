import Foundation
import GRDB
import Ledger
import Projections
import Testing
import TestSupport

/// `crow-ledger`, run as the operator runs it, on real files.
@Suite struct CrowLedgerToolTests {
    /// A ledger with realistic traffic from `crow-ledger simulate`.
    static func simulatedLedger(_ dir: TemporaryDirectory, calls: Int = 60) async throws -> String {
        let tool = try productBinary("crow-ledger")
        let run = try await runTool(tool, ["simulate", "--data-dir", dir.path, "--calls", "\(calls)", "--seed", "11"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("calls: \(calls),"))
        return dir.file("ledger.sqlite")
    }

    static func verify(_ path: String) async throws -> ToolOutput {
        try await runTool(try productBinary("crow-ledger"), ["verify", "--db", path])
    }

    @Test func simulateThenVerifyPasses() async throws {
        let dir = try TemporaryDirectory()
        let path = try await Self.simulatedLedger(dir)
        let run = try await Self.verify(path)
        #expect(run.status == 0, "\(run.stdout)")
        #expect(run.stdout.contains("OK: hash chain, projections and rules verified"))
        // Nothing was left for the outbox.
        let pending = try await rawQueue(path).read { db in try Queries.pendingInvites(in: db).count }
        #expect(pending == 0)
        // A second simulate refuses to mix made-up calls into a ledger that holds events.
        let again = try await runTool(try productBinary("crow-ledger"), ["simulate", "--db", path, "--calls", "5"])
        #expect(again.status != 0)
        #expect(again.stderr.contains("--append"))
    }

    @Test func verifyNamesTheEditedPosition() async throws {
        let dir = try TemporaryDirectory()
        let path = try await Self.simulatedLedger(dir)
        try HashChainTests.tamper(path, "UPDATE events SET data = json_set(data, '$.maxPeers', 64) WHERE position = 1")
        let run = try await Self.verify(path)
        #expect(run.status == 1)
        #expect(run.stdout.contains("position 1: hash_mismatch"), "\(run.stdout)")
        #expect(run.stdout.contains("FAILED"))
    }

    @Test func verifyNamesADeletedPosition() async throws {
        let dir = try TemporaryDirectory()
        let path = try await Self.simulatedLedger(dir)
        try HashChainTests.tamper(path, "DELETE FROM events WHERE position = 20")
        let run = try await Self.verify(path)
        #expect(run.status == 1)
        #expect(run.stdout.contains("position 20: position_gap"), "\(run.stdout)")
    }

    @Test func verifyFindsEventsCutFromTheEnd() async throws {
        let dir = try TemporaryDirectory()
        let path = try await Self.simulatedLedger(dir)
        let head = try await rawQueue(path).read { db in try EventReader.headPosition(in: db) }
        try HashChainTests.tamper(path, "DELETE FROM events WHERE position > ?", [head - 3])
        let run = try await Self.verify(path)
        #expect(run.status == 1)
        #expect(run.stdout.contains("position \(head - 2): checkpoint_ahead"), "\(run.stdout)")
    }

    @Test func verifyFindsARowForgedWithAValidHash() async throws {
        let dir = try TemporaryDirectory()
        let path = try await Self.simulatedLedger(dir)
        // Someone who knows the hash formula appends a well-chained event with plain SQL: the chain
        // holds, but the projections never saw it.
        let raw = try rawQueue(path)
        let head = try raw.read { db in try Row.fetchOne(db, sql: "SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1")! }
        let position: Int64 = head[0] + 1
        let data = #"{"code":"forged000000","createdBy":"api","expiresAt":1,"hostName":"Mallory","maxPeers":4,"v":1}"#
        let hash = HashChain.hash(
            previous: head[1],
            position: position,
            stream: "room-forged000000",
            version: 1,
            type: "room.created",
            recordedAt: head[2],
            data: data
        )
        let recordedAt: Int64 = head[2]
        try await raw.write { db in
            try db.execute(
                sql: "INSERT INTO events VALUES (?, 'room-forged000000', 1, 'room.created', ?, ?, ?)",
                arguments: [position, data, recordedAt, hash]
            )
        }
        try raw.close()
        let run = try await Self.verify(path)
        #expect(run.status == 1)
        #expect(run.stdout.contains("position \(position): projection_mismatch"), "\(run.stdout)")
        #expect(!run.stdout.contains("hash_mismatch"))
    }

    @Test func verifyReportsRuleViolationsWithTheirPositions() async throws {
        let dir = try TemporaryDirectory()
        // The event store appends whatever it is given; only the decisions keep the rules. Bypass them.
        let store = try makeStore(in: dir)
        try await store.append([roomCreated("rules", maxPeers: 2)], to: "room-rules", expectedVersion: .noStream)
        let issued = LedgerEvent.tokenIssued(
            TokenIssued(tokenId: "tok1", room: "rules", tokenHash: String(repeating: "1", count: 64), role: .guest, expiresAt: 1)
        )
        try await store.append([issued], to: "token-tok1", expectedVersion: .noStream)
        for n in 1...2 {  // positions 3 and 4: the second use is the violation
            try await store.append(
                [.tokenUsed(TokenUsed(tokenId: "tok1", room: "rules", peerId: "p\(n)"))],
                to: "token-tok1",
                expectedVersion: .any
            )
        }
        for n in 1...3 {  // positions 5, 6, 7: the third peer overfills a two-seat room
            try await store.append([peerJoined("rules", peer: "p\(n)")], to: "room-rules", expectedVersion: .any)
        }
        try store.close()
        let run = try await Self.verify(dir.file("ledger.sqlite"))
        #expect(run.status == 1)
        #expect(run.stdout.contains("position 4: rule_violation: token tok1 used twice (first at position 3)"), "\(run.stdout)")
        #expect(run.stdout.contains("position 7: rule_violation: room rules has 3 peers, more than its 2"), "\(run.stdout)")
        #expect(!run.stdout.contains("hash_mismatch"))
    }

    @Test func verifyFlagsForgedJoinsAndLateTokenUses() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        let now = LedgerClock.systemMilliseconds()
        try await store.append([roomCreated("forge")], to: "room-forge", expectedVersion: .noStream)  // 1
        func issue(_ id: String, expiresAt: Int64) -> LedgerEvent {
            .tokenIssued(TokenIssued(tokenId: id, room: "forge", tokenHash: String(repeating: id.last!, count: 64), role: .guest, expiresAt: expiresAt))
        }
        func admit(_ token: String, _ peer: String) -> [StreamAppend] {
            [
                StreamAppend(stream: "token-\(token)", expected: .any, events: [.tokenUsed(TokenUsed(tokenId: token, room: "forge", peerId: peer))]),
                StreamAppend(stream: "room-forge", expected: .any, events: [peerJoined("forge", peer: peer, token: token)]),
            ]
        }
        try await store.append([issue("tok1", expiresAt: now + 3_600_000)], to: "token-tok1", expectedVersion: .noStream)  // 2
        try await store.append(admit("tok1", "honest"))  // 3, 4: a real admission
        try await store.append([peerJoined("forge", peer: "forged", token: "tok1")], to: "room-forge", expectedVersion: .any)  // 5
        try await store.append([issue("tok2", expiresAt: now - 60_000)], to: "token-tok2", expectedVersion: .noStream)  // 6
        try await store.append(admit("tok2", "late"))  // 7, 8: a token used a minute after it expired
        try store.close()
        let run = try await Self.verify(dir.file("ledger.sqlite"))
        #expect(run.status == 1)
        #expect(run.stdout.contains("position 5: rule_violation: peer forged joined room forge without a token.used for it in the same append"), "\(run.stdout)")
        #expect(run.stdout.contains("position 7: rule_violation: token tok2 used at"), "\(run.stdout)")
        #expect(run.stdout.contains("after it expired at \(now - 60_000)"), "\(run.stdout)")
        // The honest admission is not reported.
        #expect(!run.stdout.contains("position 4:"), "\(run.stdout)")
        #expect(!run.stdout.contains("position 8:"), "\(run.stdout)")
    }

    @Test func logReplayAndExportReadTheFileWithoutChangingIt() async throws {
        let dir = try TemporaryDirectory()
        let path = try await Self.simulatedLedger(dir, calls: 30)
        let tool = try productBinary("crow-ledger")
        let head = try await rawQueue(path).read { db in try EventReader.headPosition(in: db) }
        let firstRoom = try await rawQueue(path).read { db in
            try String.fetchOne(db, sql: "SELECT json_extract(data, '$.code') FROM events WHERE type = 'room.created' LIMIT 1")!
        }
        // Taken after the reads above: closing the last connection folds the WAL into the file.
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let export = try await runTool(tool, ["export", "--db", path, "--format", "jsonl"])
        #expect(export.status == 0)
        let lines = export.stdout.split(separator: "\n")
        #expect(Int64(lines.count) == head)
        for (index, line) in lines.enumerated() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["position"] as? Int == index + 1)
            #expect((object["hash"] as? String)?.count == 64)
            #expect(object["data"] is [String: Any])
        }

        let log = try await runTool(tool, ["log", "--db", path])
        #expect(log.status == 0)
        #expect(Int64(log.stdout.split(separator: "\n").count) == head)
        #expect(log.stdout.contains("room.created"))
        let roomLog = try await runTool(tool, ["log", "--db", path, "--room", firstRoom])
        let roomLines = roomLog.stdout.split(separator: "\n")
        #expect(!roomLines.isEmpty)
        #expect(roomLines.allSatisfy { $0.contains(firstRoom) || $0.contains("token") || $0.contains("invite") })

        let replay = try await runTool(tool, ["replay", "--db", path, "--until", "\(head / 2)"])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(replay.stdout.contains("state as of position \(head / 2)"))
        let badUntil = try await runTool(tool, ["replay", "--db", path, "--until", "yesterday"])
        #expect(badUntil.status != 0)
        #expect(badUntil.stderr.contains("neither a position nor an ISO 8601 time"))
        let pastEnd = try await runTool(tool, ["replay", "--db", path, "--until", "\(head + 1)"])
        #expect(pastEnd.status == 64, "\(pastEnd.stderr)")  // a usage error, not a crash
        #expect(pastEnd.stderr.contains("is past the last position (\(head))"), "\(pastEnd.stderr)")

        let saved = dir.file("replayed.sqlite")
        let save = try await runTool(tool, ["replay", "--db", path, "--until", "\(head)", "--save", saved])
        #expect(save.status == 0, "\(save.stderr)")
        // The replay of everything equals the live projections.
        let snapshot = try DatabaseQueue(path: saved)
        let differences = try ProjectionRebuilder.compare(snapshot: snapshot, livePath: path)
        #expect(differences.isEmpty, "\(differences.prefix(3))")

        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func logShowsHostileNamesAsInertText() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        try await store.append([roomCreated("esc")], to: "room-esc", expectedVersion: .noStream)
        let hostile = "Eve\u{1B}]0;pwned\u{07}\u{1B}[2J\u{202E}gnp.exe"
        try await store.append(
            [.peerJoined(PeerJoined(room: "esc", peerId: "p1", displayName: hostile, tokenId: "t"))],
            to: "room-esc",
            expectedVersion: .exact(1)
        )
        try store.close()
        let log = try await runTool(try productBinary("crow-ledger"), ["log", "--db", dir.file("ledger.sqlite")])
        #expect(log.status == 0)
        #expect(!log.stdout.contains("\u{1B}"))
        #expect(!log.stdout.contains("\u{202E}"))
        #expect(log.stdout.contains(#"Eve\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}gnp.exe joined"#))
    }

    @Test func rebuildRestoresDamagedProjections() async throws {
        let dir = try TemporaryDirectory()
        let path = try await Self.simulatedLedger(dir, calls: 20)
        try await rawQueue(path).write { db in try db.execute(sql: "DELETE FROM room_peers; UPDATE bell SET unread = 42") }
        #expect(try await Self.verify(path).status == 1)
        let rebuild = try await runTool(try productBinary("crow-ledger"), ["rebuild", "--db", path])
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        #expect(rebuild.stdout.contains("rebuilt projections from"))
        #expect(try await Self.verify(path).status == 0)
    }

    /// A ledger an older build last opened (here: from before migration 13) is not compared with this
    /// build's schema, which would report every changed table as tampered with: verify names the
    /// pending migration and what to do. `rebuild` migrates it, and verify then passes with the same
    /// call history.
    @Test func verifyRefusesALedgerWithAPendingMigrationAndRebuildMigratesIt() async throws {
        let dir = try TemporaryDirectory()
        let path = try await Self.simulatedLedger(dir, calls: 20)
        let history = try await rawQueue(path).read { db in try Queries.history(limit: 1000, in: db) }
        #expect(history.count > 10)
        try await rawQueue(path).write { db in try MigrationTests.restoreCallHistory(db) }
        let refused = try await Self.verify(path)
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("migration 13 (history_from_rooms_and_invites) is not applied yet"), "\(refused.stdout)")
        #expect(refused.stdout.contains("crow-ledger rebuild"))
        #expect(!refused.stdout.contains("projection_mismatch"), "\(refused.stdout)")
        // Verify only read the file.
        #expect(try await rawQueue(path).read { db in try Int.fetchOne(db, sql: "SELECT max(number) FROM schema_migrations") } == 12)

        let rebuild = try await runTool(try productBinary("crow-ledger"), ["rebuild", "--db", path])
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        let run = try await Self.verify(path)
        #expect(run.status == 0, "\(run.stdout)")
        #expect(try await rawQueue(path).read { db in try Queries.history(limit: 1000, in: db) } == history)
    }

    @Test func aMissingLedgerIsAClearError() async throws {
        let dir = try TemporaryDirectory()
        for command in ["verify", "log", "export", "rebuild"] {
            let run = try await runTool(try productBinary("crow-ledger"), [command, "--data-dir", dir.file("nothing")])
            #expect(run.status != 0)
            #expect(run.stderr.contains("no ledger at"), "\(command): \(run.stderr)")
        }
    }
}

/// `crow-ledger verify` on a ledger that a live writer keeps appending to.
@Suite struct VerifyWhileWritingTests {
    @Test func verifyPassesWhileAnotherProcessAppends() async throws {
        let dir = try TemporaryDirectory()
        let path = try await CrowLedgerToolTests.simulatedLedger(dir, calls: 20)
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: try productBinary("crow-bench"))
        writer.arguments = ["append-loop", "--db", path, "--writers", "4"]
        writer.standardOutput = FileHandle.nullDevice
        writer.standardError = FileHandle.nullDevice
        try writer.run()
        defer {
            if writer.isRunning { writer.terminate() }
            writer.waitUntilExit()
        }
        var heads: [Int64] = []
        for round in 0..<6 {
            let run = try await CrowLedgerToolTests.verify(path)
            #expect(run.status == 0, "round \(round): \(run.stdout)")
            #expect(run.stdout.contains("OK: hash chain, projections and rules verified"), "round \(round): \(run.stdout)")
            heads.append(try await rawQueue(path).read { db in try EventReader.headPosition(in: db) })
        }
        // The writer really was writing while verify ran.
        #expect(writer.isRunning)
        #expect(heads.last! > heads.first!, "the ledger did not grow: \(heads)")
    }
}
