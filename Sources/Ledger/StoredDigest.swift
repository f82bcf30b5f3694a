import Foundation
public import GRDB
import GRDBSQLite
import TextCoding

/// A 32-byte value that events and Swift code carry as 64 lowercase hex characters (a token's SHA-256,
/// a Nostr event id), in the form a projection stores it: the 32 bytes themselves.
///
/// Half the bytes of the text, in the table row and again in the unique index over it, so that a
/// rebuild writes and sorts less and a lookup compares 32 bytes instead of 64.
///
/// Only the canonical text converts: exactly 64 characters of `0-9a-f`. Anything else (a hand-made
/// event in a ledger file, say) is stored as the text it was, so the row loses nothing and reads back
/// unchanged; such a row can only be found by that same text. Reading a 32-byte blob gives back the
/// lowercase hex it was made from, so the round trip is exact either way.
public struct StoredDigest: Sendable, Hashable {
    /// The value as events carry it.
    public let hex: String

    public init(hex: String) {
        self.hex = hex
    }

    /// SQL name of the function that migrations use to convert a column in place: it returns the blob
    /// for canonical hex and its argument unchanged otherwise (see `Migrator`).
    public static let sqlFunctionName = "crow_digest_bytes"

    static let byteCount = 32

    /// The stored form: the bytes for canonical hex, the text otherwise. Upper case stays text on
    /// purpose: its bytes would read back as lower case, not as the text that was stored.
    var storedValue: DatabaseValue {
        var bytes = [UInt8](repeating: 0, count: Self.byteCount)
        let converted = bytes.withUnsafeMutableBytes { Hex.decodeLowercase(hex, into: $0) }
        return converted ? Data(bytes).databaseValue : hex.databaseValue
    }
}

extension StoredDigest: SQLiteBindable {
    public func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        // Decoded on the stack: a rebuild binds one for every token it writes.
        withUnsafeTemporaryAllocation(byteCount: Self.byteCount, alignment: 1) { buffer in
            guard Hex.decodeLowercase(hex, into: buffer), let base = buffer.baseAddress else {
                return hex.bind(to: statement, at: index)
            }
            return sqlite3_bind_blob64(
                statement, index, base, sqlite3_uint64(Self.byteCount), SQLiteTransient.destructor
            )
        }
    }
}

extension StoredDigest: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { storedValue }

    /// A blob reads back as its lowercase hex, text as itself; other values are not digests.
    public static func fromDatabaseValue(_ value: DatabaseValue) -> StoredDigest? {
        switch value.storage {
        case .blob(let data): return StoredDigest(hex: Hex.encode(data))
        case .string(let text): return StoredDigest(hex: text)
        default: return nil
        }
    }
}

extension Database {
    /// Makes `StoredDigest.sqlFunctionName` callable on this connection (a migration's SQL uses it).
    func addStoredDigestFunction() {
        add(
            function: DatabaseFunction(StoredDigest.sqlFunctionName, argumentCount: 1, pure: true) { values in
                // Only text converts; a blob, number or NULL is returned as it came.
                guard case .string(let text) = values[0].storage else { return values[0] }
                return StoredDigest(hex: text).storedValue
            }
        )
    }
}
