import ArgumentParser
import CallStore
import CrowSecurity
import Decisions
import Foundation
import HarnessKit
import Ledger
import OwnerStore

/// `crow-bench web`: the web client's figures against a real `crow-calls serve` child process.
///
/// - The bell (`/api/notifications/poll`, its 304 and 200 paths) against `/healthz` on the same
///   server, by `wrk` from a second process, alternating contenders round by round.
/// - 1,000 idle live streams (`/api/calls/stream`): the server's memory per subscriber, and the time
///   from one change (a dismiss through the API) to the last subscriber having it.
/// - In headless Chromium (tools/bench/python/web_bench.py): click on Join to `connected`, and the
///   append of an incoming call to its toast on an open page.
struct WebBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "Bell polling, live-stream fan-out and memory, join and toast latency in Chromium."
    )

    @Option(help: "Rounds of the wrk contenders.") var rounds = 3
    @Option(help: "Seconds per wrk run.") var duration = 5
    @Option(help: "wrk connections.") var connections = 32
    @Option(help: "Idle stream subscribers.") var subscribers = 1000
    @Option(help: "Fan-out trials with all subscribers connected.") var fanouts = 5
    @Option(help: "Timed joins in Chromium.") var joins = 20
    @Option(help: "Timed toasts in Chromium.") var toasts = 10
    @Flag(help: "Skip the Chromium figures.") var noBrowser = false
    @Flag(help: "Only the bell against the bare route (what `crow-bench all` runs).") var bellOnly = false
    @Option(name: .customLong("json-file"), help: "Also write the bell's figures and targets as JSON to this file (read by `crow-bench all`).")
    var jsonFile: String?
    @Option(help: "Python for the browser figures (default: the repository's .venv).") var python: String?

    func run() async throws {
        SignalingProcStats.raiseOpenFileLimit(to: subscribers + 512)
        let directory = try TemporaryDirectory(prefix: "crow-bench", under: nil)
        defer { directory.remove() }
        let bin = SignalingProcStats.executableDirectory().path
        let dataDir = directory.path + "/gateway"
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let ledgerPath = dataDir + "/ledger.sqlite"

        // The owner's API token, made before the server starts (as `crow-calls api-token create` does).
        let owners = OwnerStore(ledger: try CallStore.openLedger(LedgerConfiguration(path: ledgerPath)))
        let bearer = try await owners.createOwnerAPIToken(label: "bench").secret
        try owners.close()

        log("starting crow-calls serve")
        // Guest links need a public address; two browsers on this machine reach it on loopback, which
        // only the configuration may name.
        let chosen = try StartupBenchmark.freePort()
        let (server, port) = try await SignalingServerProcess.start(
            name: "crow-calls",
            executable: bin + "/crow-calls",
            arguments: ["serve", "--port", "\(chosen)", "--data-dir", dataDir],
            environment: ["LOG_LEVEL": "warning", "CROW_GATEWAY_URL": "http://127.0.0.1:\(chosen)", "CROW_CALLS_DEBUG": "1"]
        )
        var report = WebReport()
        let loadStart = BenchReport.loadAverage()
        do {
            let bell = try await measureBell(port: port, bearer: bearer, report: &report)
            if let jsonFile {
                let targets = Self.bellTargets(bell)
                let bellReport = BenchReport(
                    name: "bell", loadAverageStart: loadStart, parameters: ["rounds": rounds, "seconds": duration, "connections": connections],
                    fill: nil, figures: bell, targets: targets, skipped: bell.samples("bare").isEmpty ? ["bell: wrk not found"] : [])
                try bellReport.write(to: jsonFile)
            }
            if bellOnly {
                await server.stop()
                print(report.render())
                return
            }
            try await measureStreams(server: server, port: port, bearer: bearer, ledgerPath: ledgerPath, report: &report)
            if !noBrowser {
                try await measureBrowser(server: server, port: port, bearer: bearer, dataDir: dataDir, bin: bin, report: &report)
            }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
        print(report.render())
    }

    // MARK: - Bell

    /// The bell's targets: each path at least 0.9x the bare route, from per-round ratios. A miss names
    /// what the same run measured: how much of the gap the owner's headers alone explain.
    static func bellTargets(_ book: FigureBook) -> [TargetCheck] {
        ["304", "200"].map { path in
            let key = "bell_\(path)"
            let rounds = book.roundRatios(key, "bare")
            let measured = rounds.isEmpty ? nil : Statistics.median(rounds)
            var reason: String?
            if let measured, measured < bellTarget, let headers = book.ratio("bare_owner", "bare"), let own = book.ratio(key, "bare_owner") {
                reason = String(
                    format: "the bare route with the bell's Authorization header reaches %.2fx of the bare route (recognising the owner); the bell's %@ path is %.2fx of that (its own work: routing to it, the cached answer, its headers)",
                    headers, path, own)
            }
            return TargetCheck(
                name: "bell \(path) path vs a bare route", measured: measured, threshold: bellTarget, unit: "x", comparison: .atLeast,
                note: nil, low: rounds.min(), high: rounds.max(), reason: reason)
        }
    }

    static let bellTarget = 0.9

    @discardableResult
    func measureBell(port: Int, bearer: String, report: inout WebReport) async throws -> FigureBook {
        var book = FigureBook()
        guard let wrk = WrkRun.locate() else {
            log("wrk not found (apt-get install wrk): bell figures skipped")
            return book
        }
        let base = "http://127.0.0.1:\(port)"
        let auth = "Authorization: Bearer \(bearer)"
        let cursor = try Self.bellCursor(port: port, bearer: bearer)
        // The bare route twice: as a stranger asks it, and with the very request headers of the bell
        // (the owner middleware then recognises the owner, as it does for the bell).
        let contenders: [(String, [String])] = [
            ("bare", [base + "/healthz"]),
            ("bare_owner", ["-H", auth, base + "/healthz"]),
            ("bell_304", ["-H", auth, "-H", "If-None-Match: \"\(cursor)\"", base + "/api/notifications/poll"]),
            ("bell_200", ["-H", auth, base + "/api/notifications/poll"]),
        ]
        var rates: [String: [Double]] = [:]
        for round in 1...rounds {
            // Each round starts one contender later than the one before, so none always runs first or
            // last in a round (a slot that a drift in the machine's speed would favour or penalise).
            let start = (round - 1) % contenders.count
            for (name, arguments) in contenders[start...] + contenders[..<start] {
                let rate = try WrkRun.requestsPerSecond(
                    wrk: wrk,
                    arguments: ["-t1", "-c\(connections)", "-d\(duration)s"] + arguments
                )
                log("  round \(round) \(name): \(Int(rate)) req/s")
                rates[name, default: []].append(rate)
                book.record(name, Self.bellLabels[name] ?? name, unit: "req/s", Sample(value: rate))
            }
        }
        let bare = rates["bare"] ?? []
        let bareOwner = rates["bare_owner"] ?? []
        report.add("bare route (/healthz), req/s", bare, unit: "")
        report.add("bare route with the owner's Bearer header, req/s", bareOwner, unit: "")
        for name in ["bell_304", "bell_200"] {
            let values = rates[name] ?? []
            let path = name.suffix(3)
            report.add("bell \(path) path, req/s", values, unit: "")
            // Ratios per round: the contenders of a round ran within seconds of each other.
            let ratios = zip(values, bare).map { $0 / $1 }
            report.add("bell \(path) / bare route", ratios, unit: "×", target: "≥ 0.90", pass: Statistics.median(ratios) >= Self.bellTarget)
            let sameRequest = zip(values, bareOwner).map { $0 / $1 }
            report.add("bell \(path) / bare route, same headers", sameRequest, unit: "×")
        }
        return book
    }

    static let bellLabels = [
        "bare": "bare route (/healthz)",
        "bare_owner": "bare route with the owner's Bearer header",
        "bell_304": "bell, 304 path (If-None-Match: the cursor)",
        "bell_200": "bell, 200 path",
    ]

    static func bellCursor(port: Int, bearer: String) throws -> String {
        let connection = try BenchHTTPConnection(port: port)
        try connection.send("GET /api/notifications/poll HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(bearer)\r\nConnection: close\r\n\r\n")
        try connection.read(until: "}", timeout: .seconds(10))
        guard let range = connection.text.range(of: "\"cursor\":\""),
            let end = connection.text[range.upperBound...].firstIndex(of: "\"")
        else { throw BenchError("no cursor in the bell's answer: \(connection.text.prefix(300))") }
        return String(connection.text[range.upperBound..<end])
    }

    // MARK: - Streams

    func measureStreams(server: SignalingServerProcess, port: Int, bearer: String, ledgerPath: String, report: inout WebReport) async throws {
        let request = "GET /api/calls/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(bearer)\r\nAccept: text/event-stream\r\n\r\n"
        // Warm up the server's allocators and the route once, so the baseline is not the cold process.
        for _ in 0..<20 {
            let warm = try BenchHTTPConnection(port: port)
            try warm.send(request)
            try warm.read(until: ": connected", timeout: .seconds(10))
        }
        try await Task.sleep(for: .seconds(1))
        let before = server.residentKiB() ?? 0
        log("opening \(subscribers) idle streams (server RSS before: \(Int(before)) KiB)")
        var streams: [BenchHTTPConnection] = []
        streams.reserveCapacity(subscribers)
        while streams.count < subscribers {
            var batch: [BenchHTTPConnection] = []
            for _ in 0..<min(100, subscribers - streams.count) {
                let connection = try BenchHTTPConnection(port: port)
                try connection.send(request)
                batch.append(connection)
            }
            let seen = BenchHTTPConnection.awaitAll(batch, marker: ": connected", timeout: .seconds(30))
            guard seen.allSatisfy({ $0 != nil }) else { throw BenchError("some streams did not open") }
            streams += batch
        }
        try await Task.sleep(for: .seconds(2))
        let after = server.residentKiB() ?? 0
        let perSubscriber = (after - before) / Double(subscribers)
        log("  server RSS with \(subscribers) streams: \(Int(after)) KiB (\(String(format: "%.1f", perSubscriber)) KiB each)")
        report.add("memory per idle stream subscriber (\(subscribers) open), KiB", [perSubscriber], unit: "", decimals: 1)

        let store = try CallStore(ledger: LedgerConfiguration(path: ledgerPath), settings: CallSettings(clock: LedgerClock.systemMilliseconds))
        defer { try? store.close() }
        var fanout: [Double] = []
        var crossProcess: [Double] = []
        for trial in 1...fanouts {
            for stream in streams { stream.clear() }
            // A call recorded by another process (as the Nostr inbox of a second process would): the
            // gateway's feed picks it up (it checks the file every 250 ms) and sends it to everyone.
            let id = Secrets.identifier()
            let now = LedgerClock.systemMilliseconds()
            let appended = ContinuousClock.now
            try await store.receiveInvite(
                InviteReceived(
                    inviteId: id,
                    nostrEventId: String(repeating: Secrets.identifier(), count: 4),
                    senderPubkey: String(repeating: "ab", count: 32),
                    senderName: "Bench \(trial)",
                    room: "bench-\(trial)",
                    joinUrl: "https://caller.example/calls?room=bench-\(trial)&token=t",
                    sentAt: now,
                    receivedAt: now
                )
            )
            let received = BenchHTTPConnection.awaitAll(streams, marker: "event: received", timeout: .seconds(30))
            guard received.allSatisfy({ $0 != nil }) else { throw BenchError("a subscriber missed the received event") }
            crossProcess.append(Self.milliseconds(received.compactMap { $0 }.max()! - appended))
            for stream in streams { stream.clear() }
            // A change made through the gateway's own API: the append wakes the feed at once.
            let sent = ContinuousClock.now
            let status = try BenchHTTPConnection.request(
                port: port,
                "POST /api/calls/incoming/\(id)/dismiss HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(bearer)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            guard status == 204 else { throw BenchError("dismiss answered \(status)") }
            let dismissed = BenchHTTPConnection.awaitAll(streams, marker: "event: dismissed", timeout: .seconds(30))
            guard dismissed.allSatisfy({ $0 != nil }) else { throw BenchError("a subscriber missed the dismissed event") }
            let last = Self.milliseconds(dismissed.compactMap { $0 }.max()! - sent)
            fanout.append(last)
            log("  fan-out \(trial): API change to all \(subscribers) subscribers \(String(format: "%.1f", last)) ms; other process's append \(String(format: "%.1f", crossProcess.last!)) ms")
        }
        report.add("fan-out of one change to \(subscribers) subscribers (API write → last delivered), ms", fanout, unit: "", decimals: 1)
        report.add("another process's append → last of \(subscribers) subscribers, ms", crossProcess, unit: "", decimals: 1)
        streams.removeAll()
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    // MARK: - Browser

    func measureBrowser(server: SignalingServerProcess, port: Int, bearer: String, dataDir: String, bin: String, report: inout WebReport) async throws {
        guard let setup = server.recentOutput.split(separator: "\n").compactMap({ line -> String? in
            guard let range = line.range(of: "http://") , line.contains("/setup?token=") else { return nil }
            return String(line[range.lowerBound...]).trimmingCharacters(in: .whitespaces)
        }).last else {
            throw BenchError("crow-calls printed no setup link")
        }
        let located = PythonScript.locate("tools/bench/python/web_bench.py", python: python, venvHint: " with selenium")
        let (pythonPath, script): (String, String)
        switch located {
        case .success(let found): (pythonPath, script) = found
        case .failure(let error):
            log("browser figures skipped: \(error)")
            return
        }
        log("running \(script) (\(joins) joins, \(toasts) toasts)")
        let run = try runToolBlocking(
            pythonPath,
            [
                script, "--base", "http://127.0.0.1:\(port)", "--bearer", bearer, "--setup-url", setup,
                "--data-dir", dataDir, "--testkit", bin + "/crow-testkit", "--joins", "\(joins)", "--toasts", "\(toasts)",
            ],
            errors: .passedThrough)
        guard run.status == 0 else { throw BenchError("web_bench.py exited with \(run.status)") }
        struct Figures: Decodable {
            var join_ms: [Double]
            var toast_ms: [Double]
            var recover_ms: [Double]
            var join4_ms: [Double]
            var sent_kbps_limited: [Double]
            var sent_kbps_unlimited: [Double]
        }
        guard let line = run.stdout.split(separator: "\n").last,
            let figures = try? JSONDecoder().decode(Figures.self, from: Data(line.utf8))
        else { throw BenchError("web_bench.py printed no figures") }
        report.addLatency("click on Join → connected (loopback, \(figures.join_ms.count) joins), ms", figures.join_ms, targetP50: 500, targetP95: nil)
        report.addLatency("invite.received appended → toast shown (stream, \(figures.toast_ms.count) calls), ms", figures.toast_ms, targetP50: nil, targetP95: 1000)
        report.addLatency("socket dropped + ICE restart → audio flowing again (\(figures.recover_ms.count) times), ms", figures.recover_ms, targetP50: nil, targetP95: 5000)
        report.addLatency("click on Join → connected as the 4th of 4 (\(figures.join4_ms.count) joins), ms", figures.join4_ms, targetP50: nil, targetP95: nil)
        report.add("video sent per peer, 4 people, camera on, with the page's limits, kb/s", figures.sent_kbps_limited, unit: "")
        report.add("video sent per peer, same call, limits lifted (baseline), kb/s", figures.sent_kbps_unlimited, unit: "")
        if !figures.sent_kbps_limited.isEmpty, !figures.sent_kbps_unlimited.isEmpty {
            let ratio = Statistics.median(figures.sent_kbps_limited) / max(1, Statistics.median(figures.sent_kbps_unlimited))
            report.add("limited / unlimited, median", [ratio], unit: "×")
        }
    }
}

/// The table `crow-bench web` prints.
struct WebReport {
    private var table = TextTable(["figure", "min", "median", "max", "target", "result"], leftAligned: [0, 4, 5])

    mutating func add(_ name: String, _ values: [Double], unit: String, decimals: Int = 0, target: String = "", pass: Bool? = nil) {
        guard !values.isEmpty else { return }
        let format = unit == "×" ? "%.2f×" : "%.\(decimals)f"
        func show(_ value: Double) -> String { String(format: format, value) }
        table.add([name, show(values.min()!), show(Statistics.median(values)), show(values.max()!), target, Self.result(pass)])
    }

    /// Median and p95 of latency samples, with a target on either.
    mutating func addLatency(_ name: String, _ values: [Double], targetP50: Double?, targetP95: Double?) {
        guard !values.isEmpty else { return }
        let p50 = Statistics.median(values)
        let p95 = Statistics.percentile(values, 0.95)
        var target = ""
        var pass: Bool?
        if let targetP50 { target = "p50 ≤ \(Int(targetP50))"; pass = p50 <= targetP50 }
        if let targetP95 { target = "p95 < \(Int(targetP95))"; pass = p95 < targetP95 }
        table.add([
            name + " p50 / p95", String(format: "%.0f", values.min()!), String(format: "%.0f / %.0f", p50, p95),
            String(format: "%.0f", values.max()!), target, Self.result(pass),
        ])
    }

    private static func result(_ pass: Bool?) -> String { pass.map { $0 ? "PASS" : "MISS" } ?? "" }

    func render() -> String { table.render() }
}
