import GRDB
import Ledger
import Projections

/// Latency of `Queries.recentIncoming` ("incoming in the last hour, undismissed") on a filled ledger,
/// measured two ways: the bare query on one open read connection, and the gateway's path (an async
/// `EventStore.read` from the pool for each query). As a diagnostic, both again with the same SQL and
/// the records built from column indexes instead of `Decodable` + `convertFromSnakeCase`.
struct IncomingQueryLatency: Sendable {
    let store: EventStore
    let now: Int64
    let queries: Int

    /// The SQL of `Queries.recentIncoming`, copied for the raw-row diagnostic.
    static let sql = """
        SELECT * FROM incoming_calls
        WHERE received_at >= ? AND status NOT IN ('dismissed', 'declined')
        ORDER BY received_at DESC, invite_id LIMIT ?
        """

    /// What `Queries.recentIncoming` returns, built the cheap way: one cursor, columns by index.
    static func recordsByIndex(_ statement: Statement, now: Int64) throws -> [IncomingCallRecord] {
        var records: [IncomingCallRecord] = []
        let rows = try Row.fetchCursor(statement, arguments: [now - 3_600_000, 50])
        while let row = try rows.next() {
            records.append(
                IncomingCallRecord(
                    inviteId: row[0], nostrEventId: (row[1] as StoredDigest).hex, senderPubkey: row[2], senderName: row[3], roomCode: row[4],
                    joinUrl: row[5], sentAt: row[6], receivedAt: row[7], status: row[8], statusChangedAt: row[9],
                    position: row[10]
                )
            )
        }
        return records
    }

    struct Latencies: Sendable {
        /// Microseconds per call.
        let query: [Double]
        let read: [Double]
        let byIndex: [Double]
        let readByIndex: [Double]
        let rows: Int
    }

    func run() async throws -> Latencies {
        let now = self.now
        let queries = self.queries
        // Warm the page cache and the statement cache first.
        for _ in 0..<100 { _ = try await store.read { db in try Queries.recentIncoming(now: now, in: db).count } }
        let (query, byIndex, rows) = try store.readSync { db -> ([Double], [Double], Int) in
            var query: [Double] = []
            var raw: [Double] = []
            query.reserveCapacity(queries)
            raw.reserveCapacity(queries)
            var rows = 0
            for _ in 0..<queries {
                let watch = Stopwatch()
                rows = try Queries.recentIncoming(now: now, in: db).count
                query.append(Double(watch.elapsedNanoseconds) / 1000)
            }
            let statement = try db.cachedStatement(sql: Self.sql)
            for _ in 0..<queries {
                let watch = Stopwatch()
                _ = try Self.recordsByIndex(statement, now: now).count
                raw.append(Double(watch.elapsedNanoseconds) / 1000)
            }
            return (query, raw, rows)
        }
        var read: [Double] = []
        var readByIndex: [Double] = []
        read.reserveCapacity(queries)
        readByIndex.reserveCapacity(queries)
        for _ in 0..<queries {
            let watch = Stopwatch()
            _ = try await store.read { db in try Queries.recentIncoming(now: now, in: db).count }
            read.append(Double(watch.elapsedNanoseconds) / 1000)
        }
        for _ in 0..<queries {
            let watch = Stopwatch()
            _ = try await store.read { db in try Self.recordsByIndex(db.cachedStatement(sql: Self.sql), now: now).count }
            readByIndex.append(Double(watch.elapsedNanoseconds) / 1000)
        }
        return Latencies(query: query, read: read, byIndex: byIndex, readByIndex: readByIndex, rows: rows)
    }
}
