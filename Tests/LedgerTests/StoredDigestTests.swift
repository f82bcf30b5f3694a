import Foundation
import GRDB
import Ledger
import Testing
import TestSupport

/// A 64-hex value is stored as its 32 bytes and read back as the same text; anything else is stored and
/// read back as it came, whether it was written through GRDB, bound straight to a statement, or
/// converted by the migration's SQL function.
@Suite struct StoredDigestTests {
    static let canonical = "00ff7f80" + String(repeating: "0123456789abcdef", count: 3) + "fedcba98"
    /// Values that are not canonical hex: upper case (which would read back in lower case), one short,
    /// one long, a non-hex letter, empty, and non-ASCII text of the right length in bytes.
    static let others = [
        canonical.uppercased(), String(canonical.dropLast()), canonical + "0", String(canonical.dropLast()) + "g", "",
        String(repeating: "é", count: 32),
    ]

    @Test func canonicalHexIsStoredAsItsBytesAndReadBackAsTheSameText() throws {
        #expect(Self.canonical.utf8.count == 64)
        let value = StoredDigest(hex: Self.canonical).databaseValue
        guard case .blob(let bytes) = value.storage else {
            Issue.record("stored as \(value)")
            return
        }
        #expect(Array(bytes.prefix(4)) == [0x00, 0xFF, 0x7F, 0x80])
        #expect(bytes.count == 32)
        #expect(StoredDigest.fromDatabaseValue(value)?.hex == Self.canonical)
    }

    @Test func anythingElseIsStoredAsTheTextItWas() {
        for text in Self.others {
            let value = StoredDigest(hex: text).databaseValue
            #expect(value == text.databaseValue, "\(text)")
            #expect(StoredDigest.fromDatabaseValue(value)?.hex == text)
        }
        #expect(StoredDigest.fromDatabaseValue(7.databaseValue) == nil)
        #expect(StoredDigest.fromDatabaseValue(.null) == nil)
    }

    /// The three ways in: GRDB's arguments, the append path's direct binding, and the SQL function that
    /// migration 12 calls on the ledger's writer connection.
    @Test func theThreeWaysInStoreTheSameForms() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        let values = [Self.canonical] + Self.others
        let stored = try store.maintenanceWrite { db -> [[DatabaseValue]] in
            try db.execute(sql: "CREATE TEMP TABLE digests (through TEXT, n INTEGER, value BLOB)")
            for (n, text) in values.enumerated() {
                try db.execute(sql: "INSERT INTO digests VALUES ('arguments', ?, ?)", arguments: [n, StoredDigest(hex: text)])
                try db.execute(cached: "INSERT INTO digests VALUES ('bind', ?, ?)", n, StoredDigest(hex: text))
                try db.execute(sql: "INSERT INTO digests VALUES ('function', ?, crow_digest_bytes(?))", arguments: [n, text])
            }
            return try ["arguments", "bind", "function"].map { through in
                try DatabaseValue.fetchAll(db, sql: "SELECT value FROM digests WHERE through = ? ORDER BY n", arguments: [through])
            }
        }
        let expected = values.map { StoredDigest(hex: $0).databaseValue }
        #expect(expected.first?.storage != Self.canonical.databaseValue.storage)
        for column in stored { #expect(column == expected) }
        // The function leaves what is not text as it is: a value already in bytes, a number, NULL.
        let untouched = try store.maintenanceWrite { db in
            try Row.fetchOne(db, sql: "SELECT crow_digest_bytes(x'0a0b') AS b, crow_digest_bytes(12) AS i, crow_digest_bytes(NULL) AS n")
        }
        let row = try #require(untouched)
        #expect(row["b"] as DatabaseValue == Data([0x0A, 0x0B]).databaseValue)
        #expect(row["i"] as DatabaseValue == 12.databaseValue)
        #expect(row["n"] as DatabaseValue == .null)
        try store.close()
    }
}
