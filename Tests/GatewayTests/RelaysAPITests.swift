import Foundation
import Gateway
import HummingbirdTesting
@testable import Invites
import Testing

@testable import Gateway
import TestSupport

/// `/api/nostr/relays` on the real server: the configured relays are listed and fixed, the panel's are
/// replaced as a whole, checked, kept in the ledger file across restarts, and followed at once.
@Suite struct RelaysAPITests {
    typealias H = OwnerHarness

    /// `/readyz` is public: it counts the relays and names none, since a saved URL may carry a secret.
    @Test func readinessCountsRelaysWithoutNamingThem() async throws {
        let harness = try H { $0.nostrRelays = ["ws://127.0.0.1:9/configured"] }
        let token = try await harness.apiToken()
        try await buildApplication(harness.configuration).test(.router) { client in
            try await client.execute(
                uri: "/api/nostr/relays", method: .put, headers: H.json(bearer: token),
                body: try H.jsonBody(["relays": ["ws://127.0.0.1:9/?auth=sekrit-relay-password"]])
            ) { #expect($0.status == .ok) }
            try await waitUntil("both relays are followed") {
                try await client.execute(uri: "/readyz", method: .get) { response in
                    let relays = H.object(response)["relays"] as? [String: Any]
                    return relays?["configured"] as? Int == 2
                }
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(!text.contains("sekrit") && !text.contains("127.0.0.1"), "\(text)")
                #expect((H.object(response)["relays"] as? [String: Any])?["subscribed"] as? Int == 0)
            }
        }
        // Nor does the log name a relay's credentials.
        #expect(RelaySubscriber.loggable("wss://user:pw@relay.example/path?auth=sekrit#frag") == "wss://relay.example/path")
    }

    @Test func configuredAndSavedRelaysAreListedCheckedAndKeptAcrossRestarts() async throws {
        // Port 9 (discard) on loopback refuses at once: the relays stay "connecting".
        let harness = try H { $0.nostrRelays = ["ws://127.0.0.1:9/configured"] }
        let token = try await harness.apiToken()
        let auth = H.json(bearer: token)
        try await buildApplication(harness.configuration).test(.router) { client in
            try await client.execute(uri: "/api/nostr/relays", method: .get, headers: auth) { response in
                #expect(response.status == .ok)
                let body = H.object(response)
                #expect(body["configured"] as? [String] == ["ws://127.0.0.1:9/configured"])
                #expect((body["saved"] as? [String])?.isEmpty == true)
                let relays = try #require(body["relays"] as? [[String: Any]])
                #expect(relays.count == 1)
                #expect(relays.first?["source"] as? String == "configured")
                #expect(relays.first?["status"] as? String == "connecting")
            }
            // Saved: trimmed, duplicates dropped (the configured one is listed once), order kept.
            try await client.execute(
                uri: "/api/nostr/relays",
                method: .put,
                headers: auth,
                body: try H.jsonBody([
                    "relays": [" wss://relay.example.net ", "ws://127.0.0.1:9/configured", "wss://relay.example.net", "ws://localhost:9/two"]
                ])
            ) { response in
                #expect(response.status == .ok)
                let body = H.object(response)
                #expect(body["saved"] as? [String] == ["wss://relay.example.net", "ws://127.0.0.1:9/configured", "ws://localhost:9/two"])
                let relays = try #require(body["relays"] as? [[String: Any]])
                #expect(relays.map { $0["url"] as? String } == ["ws://127.0.0.1:9/configured", "wss://relay.example.net", "ws://localhost:9/two"])
                #expect(relays.map { $0["source"] as? String } == ["configured", "saved", "saved"])
            }
            // Refused whole, with the reason, and nothing changes.
            let refused: [(Any, String)] = [
                (["javascript:alert(1)"], "wss://"),
                (["ws://relay.example.net"], "loopback or tailnet"),
                (["https://relay.example.net"], "wss://"),
                (Array(repeating: "wss://relay.example.net", count: 17), "at most 16"),
                ("wss://relay.example.net", "wrong type"),
            ]
            for (value, words) in refused {
                try await client.execute(
                    uri: "/api/nostr/relays",
                    method: .put,
                    headers: auth,
                    body: try H.jsonBody(["relays": value])
                ) { response in
                    #expect(response.status == .badRequest, "\(value)")
                    let error = try #require(H.object(response)["error"] as? [String: Any])
                    #expect(error["code"] as? String == "invalid_request")
                    #expect((error["message"] as? String)?.contains(words) == true, "\(value): \(error)")
                }
            }
            try await client.execute(uri: "/api/nostr/relays", method: .put, headers: auth, body: try H.jsonBody([:])) { response in
                #expect(response.status == .badRequest)
            }
            // Owner only.
            try await client.execute(uri: "/api/nostr/relays", method: .get, headers: H.json()) { response in
                #expect(response.status == .unauthorized)
            }
        }
        // A restart keeps the panel's relays; the configured ones come from the configuration again.
        var changed = harness.configuration
        changed.nostrRelays = []
        try await buildApplication(changed).test(.router) { client in
            try await client.execute(uri: "/api/nostr/relays", method: .get, headers: auth) { response in
                let body = H.object(response)
                #expect((body["configured"] as? [String])?.isEmpty == true)
                #expect(body["saved"] as? [String] == ["wss://relay.example.net", "ws://127.0.0.1:9/configured", "ws://localhost:9/two"])
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                let relays = try #require(H.object(response)["relays"] as? [String: Int])
                #expect(relays["configured"] == 3)
            }
            // Emptied: nothing is followed any more.
            try await client.execute(uri: "/api/nostr/relays", method: .put, headers: auth, body: try H.jsonBody(["relays": []])) { response in
                #expect(response.status == .ok)
                #expect((H.object(response)["relays"] as? [Any])?.isEmpty == true)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains("crow_nostr_relays_configured 0"))
            }
        }
    }
}

/// The relay list and its change announcements, without I/O.
@Suite struct RelayDirectoryTests {
    @Test func listenersSeeTheListAtOnceAndEveryChange() async {
        let directory = RelayDirectory(configured: ["wss://a.example"], saved: ["wss://b.example"])
        #expect(directory.current == ["wss://a.example", "wss://b.example"])
        var changes = directory.changes().makeAsyncIterator()
        #expect(await changes.next() == ["wss://a.example", "wss://b.example"])
        // A change that leaves the union as it was is not announced; the next real one is.
        directory.replaceSaved(["wss://A.example", "wss://b.example"])
        directory.replaceSaved(["wss://c.example"])
        #expect(await changes.next() == ["wss://a.example", "wss://c.example"])
        #expect(directory.lists.saved == ["wss://c.example"])
    }

    @Test func aRelayRemovedAndAddedBackIsSeenGoneByItsFollower() async {
        let directory = RelayDirectory(configured: [], saved: ["wss://b.example"])
        var changes = directory.changes().makeAsyncIterator()
        directory.replaceSaved([])
        directory.replaceSaved(["wss://b.example"])
        #expect(await changes.next() == ["wss://b.example"])
        #expect(await changes.next() == [])
        #expect(await changes.next() == ["wss://b.example"])
    }

    @Test func waitingForARemovalEndsWhenTheRelayGoes() async {
        let directory = RelayDirectory(configured: [], saved: ["wss://b.example", "wss://c.example"])
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await directory.waitUntilRemoved("wss://b.example") }
            try? await waitUntil("the waiter listens") { directory.watcherCount == 1 }
            directory.replaceSaved(["wss://c.example", "wss://d.example"])
            await group.next()
        }
        #expect(directory.current == ["wss://c.example", "wss://d.example"])
    }

    @Test func aSubscriptionStartsTwoDaysAndAnHourBeforeTheCursorAndNeverBeforeThirtyDays() {
        let now: Int64 = 1_800_000_000
        let lookback: Int64 = 2 * 86_400 + 3600
        // Never followed: the last two days and an hour.
        #expect(RelaySubscriber.since(cursor: nil, now: now) == now - lookback)
        // Followed until an hour ago: from an hour before that, minus the back-dating.
        #expect(RelaySubscriber.since(cursor: now - 3600, now: now) == now - 3600 - lookback)
        // Off for a week: the whole week is asked for, so calls missed meanwhile show as missed.
        #expect(RelaySubscriber.since(cursor: now - 7 * 86_400, now: now) == now - 7 * 86_400 - lookback)
        // Off for a year: 30 days at most.
        #expect(RelaySubscriber.since(cursor: now - 365 * 86_400, now: now) == now - 30 * 86_400)
        // A cursor from the future (a clock that jumped back) counts as now.
        #expect(RelaySubscriber.since(cursor: now + 86_400, now: now) == now - lookback)
    }
}
