import CallStore
@testable import Gateway
import Ledger
import Logging
import TestSupport
import Testing

/// The feed service brings another process's appends into this process's feed as soon as the ledger
/// file shows them, not on its slower backstop.
@Suite struct LedgerFeedServiceTests {
    @Test func anAppendByAnotherProcessReachesTheFeedWhenTheFileChanges() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/ledger.sqlite"
        let localLedger = try CallStore.openLedger(LedgerConfiguration(path: path))
        let local = CallStore(ledger: localLedger, settings: CallSettings(clock: LedgerClock.systemMilliseconds))
        // The backstop is an hour: after its first read, only the look at the file can bring an append in.
        let service = LedgerFeedService(store: local, ledgerPath: path, watch: .milliseconds(5), backstop: .seconds(3600), logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            // Another process, as far as `local` can tell: its own connections to the same file.
            let otherLedger = try CallStore.openLedger(LedgerConfiguration(path: path))
            let other = CallStore(ledger: otherLedger, settings: CallSettings(clock: LedgerClock.systemMilliseconds))
            // The first append may arrive by the service's first read of the head, at its start.
            _ = try await other.createRoom(hostName: "Ada", createdBy: .api)
            let first = try await otherLedger.read { db in try EventReader.headPosition(in: db) }
            try await waitUntil("the first append reached the feed", timeout: .seconds(20)) { local.feed.head >= first }
            // The service has read the head since: the next one can only come in by its look at the file.
            let room = try await other.createRoom(hostName: "Grace", createdBy: .api)
            let head = try await otherLedger.read { db in try EventReader.headPosition(in: db) }
            try other.close()
            #expect(head > first)
            try await waitUntil("the second append reached the feed", timeout: .seconds(20)) { local.feed.head >= head }
            let stored = try await localLedger.read { db in try EventReader.events(in: db, positions: (first + 1)...head) }
            #expect(stored.contains { $0.stream == StreamName.room(room.code) })
            group.cancelAll()
        }
        try local.close()
    }
}
