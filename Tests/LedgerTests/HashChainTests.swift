import Foundation
import GRDB
import Ledger
import Testing
import TestSupport

/// Tampering with the file behind the ledger's back is found, and the report names where.
@Suite struct HashChainTests {
    /// A ledger of `count` events on a few rooms, closed, with its path.
    static func filledLedger(_ dir: TemporaryDirectory, count: Int = 12) async throws -> String {
        let store = try makeStore(in: dir)
        try await store.append([roomCreated("tamper")], to: StreamName.room("tamper"), expectedVersion: .noStream)
        for n in 1..<count {
            try await store.append([peerJoined("tamper", peer: "p\(n)")], to: StreamName.room("tamper"), expectedVersion: .exact(n))
        }
        try store.close()
        return dir.file("ledger.sqlite")
    }

    /// Runs SQL with the append-only triggers dropped, as someone editing the file directly could.
    static func tamper(_ path: String, _ sql: String, _ arguments: StatementArguments = []) throws {
        let raw = try rawQueue(path)
        try raw.write { db in
            try db.execute(sql: "DROP TRIGGER events_refuse_update; DROP TRIGGER events_refuse_delete")
            try db.execute(sql: sql, arguments: arguments)
        }
        try raw.close()
    }

    static func verify(_ path: String) throws -> ChainVerifier.Report {
        let raw = try rawQueue(path)
        defer { try? raw.close() }
        return try raw.read { db in try ChainVerifier.verify(in: db) }
    }

    @Test func anUntouchedLedgerVerifies() async throws {
        let dir = try TemporaryDirectory()
        let path = try await Self.filledLedger(dir)
        let report = try Self.verify(path)
        #expect(report.issues.isEmpty)
        #expect(report.events == 12)
        #expect(report.headPosition == 12)
        let stored = try await rawQueue(path).read { db in try Data.fetchOne(db, sql: "SELECT hash FROM events WHERE position = 12") }
        #expect(report.headHash == stored)
    }

    @Test func theChainMatchesTheDocumentedFormula() throws {
        // hash(1) = SHA256(32 zero bytes || canonical(1)); the canonical bytes are fixed by docs/LEDGER.md.
        let bytes = HashChain.canonicalBytes(position: 1, stream: "s", version: 1, type: "t", recordedAt: 2, data: "{}")
        let expected: [UInt8] =
            [0, 0, 0, 0, 0, 0, 0, 1] + [0, 0, 0, 1] + Array("s".utf8) + [0, 0, 0, 0, 0, 0, 0, 1]
            + [0, 0, 0, 1] + Array("t".utf8) + [0, 0, 0, 0, 0, 0, 0, 2] + [0, 0, 0, 2] + Array("{}".utf8)
        #expect(bytes == expected)
        // Length prefixes keep field boundaries unambiguous.
        let shifted = HashChain.canonicalBytes(position: 1, stream: "st", version: 1, type: "", recordedAt: 2, data: "{}")
        #expect(shifted != HashChain.canonicalBytes(position: 1, stream: "s", version: 1, type: "t", recordedAt: 2, data: "{}"))
    }

    @Test func editingOneEventsBytesIsFoundAtThatPosition() async throws {
        let dir = try TemporaryDirectory()
        let path = try await Self.filledLedger(dir)
        try Self.tamper(
            path,
            "UPDATE events SET data = replace(data, 'Peer p5', 'Mallory') WHERE position = 6"
        )
        let report = try Self.verify(path)
        #expect(report.issues.map(\.position) == [6])
        #expect(report.issues.map(\.kind) == [.hashMismatch])
    }

    @Test func editingAnEventAndItsHashIsFoundAtTheNextPosition() async throws {
        let dir = try TemporaryDirectory()
        let path = try await Self.filledLedger(dir)
        // Recompute the edited event's own hash; the next event still chains from the old one.
        let raw = try rawQueue(path)
        let (previous, row) = try raw.read { db in
            (
                try Data.fetchOne(db, sql: "SELECT hash FROM events WHERE position = 3")!,
                try Row.fetchOne(db, sql: "SELECT stream, version, type, recorded_at FROM events WHERE position = 4")!
            )
        }
        try raw.close()
        let forgedData = #"{"displayName":"Mallory","peerId":"p3","room":"tamper","tokenId":"t","v":1}"#
        let forgedHash = HashChain.hash(
            previous: previous,
            position: 4,
            stream: row[0],
            version: row[1],
            type: row[2],
            recordedAt: row[3],
            data: forgedData
        )
        try Self.tamper(path, "UPDATE events SET data = ?, hash = ? WHERE position = 4", [forgedData, forgedHash])
        let report = try Self.verify(path)
        #expect(report.issues.map(\.position) == [5])
        #expect(report.issues.map(\.kind) == [.hashMismatch])
    }

    @Test func deletingAnEventIsFoundAtTheMissingPosition() async throws {
        let dir = try TemporaryDirectory()
        let path = try await Self.filledLedger(dir)
        try Self.tamper(path, "DELETE FROM events WHERE position = 7")
        let report = try Self.verify(path)
        let kinds = Dictionary(grouping: report.issues, by: \.kind)
        #expect(kinds[.positionGap]?.map(\.position) == [7])
        #expect(kinds[.hashMismatch]?.map(\.position) == [8])
        #expect(kinds[.versionGap]?.map(\.position) == [8])
    }

    @Test func aForgedRowIsFoundAtItsPosition() async throws {
        let dir = try TemporaryDirectory()
        let path = try await Self.filledLedger(dir)
        let raw = try rawQueue(path)
        try await raw.write { db in
            try db.execute(
                sql: "INSERT INTO events (position, stream, version, type, data, recorded_at, hash) VALUES (13, 'room-tamper', 13, 'peer.joined', ?, 1, ?)",
                arguments: [#"{"displayName":"Mallory","peerId":"m","room":"tamper","tokenId":"t","v":1}"#, Data(repeating: 7, count: 32)]
            )
        }
        try raw.close()
        let report = try Self.verify(path)
        #expect(report.issues.map(\.position) == [13])
        #expect(report.issues.map(\.kind) == [.hashMismatch])
    }

    @Test func aPayloadThatNoLongerDecodesIsReportedAsCorrupt() async throws {
        let dir = try TemporaryDirectory()
        let path = try await Self.filledLedger(dir)
        try Self.tamper(path, #"UPDATE events SET data = '{"v":1}' WHERE position = 2"#)
        let report = try Self.verify(path)
        #expect(Set(report.issues.map(\.kind)) == [.hashMismatch, .corruptEvent])
        #expect(Set(report.issues.map(\.position)) == [2])
    }
}
