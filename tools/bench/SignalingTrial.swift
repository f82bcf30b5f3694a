import Foundation
import HarnessKit

/// One contender, once: start its server as a child process, connect every socket, then measure
/// idle memory, paced latency and closed-loop throughput, and stop everything again.
///
/// Phases, in order:
/// 1. RSS of the fresh server; connect half the rooms, RSS; the other half, RSS (idle sockets,
///    after `settle` each time). Per idle socket = (last − first) / sockets; the second half alone
///    gives the marginal cost without one-time allocations.
/// 2. Paced latency: `latencyRate` messages/s in total from all rooms (each peer in turn sends to the
///    next peer of its room), timed from send to arrival at the target socket, after a warm-up.
/// 3. Throughput: every socket keeps `window` messages in flight (each arrival is answered by the
///    receiver, so the load circulates round each room); messages arrived per second over the
///    measured interval, with the server's and the client's CPU time per message.
struct SignalingTrial: Sendable {
    struct Settings: Sendable {
        var rooms: Int
        var peers: Int
        var clientThreads: Int
        var connectConcurrency: Int
        var settle: Duration
        var warmup: Duration
        var latencyRate: Double
        var latencyDuration: Duration
        var throughputDuration: Duration
        var window: Int
        var drainLimit: Duration = .seconds(10)
    }

    let contender: SignalingContender
    let settings: Settings
    let directory: TemporaryDirectory
    /// The Python interpreter and relay script (only for `.python`).
    let python: (python: String, script: String)?

    /// The figures of this trial by key (see `SignalingReport.rows`).
    func run(round: Int) async throws -> [String: Double] {
        let sockets = settings.rooms * settings.peers
        let (executable, arguments, plans, dataDirectory) = try await prepare(round: round)
        defer { if let dataDirectory { try? FileManager.default.removeItem(atPath: dataDirectory) } }
        let (server, port) = try await SignalingServerProcess.start(name: contender.label, executable: executable, arguments: arguments)
        var figures: [String: Double] = [:]
        var client: SignalingClient?
        do {
            try await Task.sleep(for: settings.settle)
            figures["rss_start_kib"] = server.residentKiB()
            figures["anon_start_kib"] = server.residentKiB("RssAnon")
            let connected = try await SignalingClient(
                threads: settings.clientThreads, host: "127.0.0.1", port: port, expectsWelcome: contender.sendsWelcome)
            client = connected
            try await measureMemory(server: server, client: connected, plans: plans, sockets: sockets, into: &figures)
            try await measureLatency(client: connected, into: &figures)
            try await measureThroughput(server: server, client: connected, into: &figures)
            let final = try await connected.snapshot()
            figures["server_errors"] = Double(final.serverErrors)
            figures["sockets_dropped"] = Double(final.socketsClosed)
        } catch {
            await client?.shutdown()
            await server.stop()
            throw error
        }
        await client?.shutdown()
        await server.stop()
        return figures
    }

    /// The server's command line and the rooms' request paths.
    private func prepare(
        round: Int
    ) async throws -> (executable: String, arguments: [String], plans: [SignalingClient.RoomPlan], dataDirectory: String?) {
        let own = SignalingProcStats.ownExecutable()
        switch contender {
        case .gateway:
            let data = (directory.path as NSString).appendingPathComponent("gateway-\(round)")
            let plans = try await SignalingRoomSetup.gatewayRooms(dataDirectory: data, rooms: settings.rooms, peers: settings.peers)
            return (own, ["signaling", "serve", "--stack", "gateway", "--data-dir", data, "--peers", String(settings.peers)], plans, data)
        case .echo, .echoQueued:
            let plans = try SignalingRoomSetup.plainRooms(rooms: settings.rooms, peers: settings.peers)
            return (own, ["signaling", "serve", "--stack", contender.rawValue], plans, nil)
        case .python:
            guard let python else { throw BenchError("the Python relay was not located") }
            let plans = try SignalingRoomSetup.plainRooms(rooms: settings.rooms, peers: settings.peers)
            return (python.python, [python.script, "--port", "0"], plans, nil)
        }
    }

    private func measureMemory(
        server: SignalingServerProcess, client: SignalingClient, plans: [SignalingClient.RoomPlan], sockets: Int,
        into figures: inout [String: Double]
    ) async throws {
        let half = plans.count / 2
        let first = ContinuousClock.now
        try await client.connect(plans, range: 0..<half, concurrency: settings.connectConcurrency)
        let firstHalf = ContinuousClock.now - first
        try await Task.sleep(for: settings.settle)
        let halfRSS = server.residentKiB()
        let second = ContinuousClock.now
        try await client.connect(plans, range: half..<plans.count, concurrency: settings.connectConcurrency)
        let secondHalf = ContinuousClock.now - second
        try await Task.sleep(for: settings.settle)
        let fullRSS = server.residentKiB()
        if let anon = server.residentKiB("RssAnon"), let start = figures["anon_start_kib"] {
            figures["anon_kib_per_socket"] = (anon - start) / Double(sockets)
        }
        figures["connect_s"] = (firstHalf + secondHalf).seconds
        figures["rss_idle_kib"] = fullRSS
        if let start = figures["rss_start_kib"], let fullRSS {
            figures["idle_kib_per_socket"] = (fullRSS - start) / Double(sockets)
        }
        let secondSockets = (plans.count - half) * settings.peers
        if let halfRSS, let fullRSS, secondSockets > 0 {
            figures["marginal_kib_per_socket"] = (fullRSS - halfRSS) / Double(secondSockets)
        }
        let snapshot = try await client.snapshot()
        guard snapshot.socketsClosed == 0 else {
            throw BenchError("\(snapshot.socketsClosed) sockets closed while idle (\(contender.label))")
        }
    }

    private func measureLatency(client: SignalingClient, into figures: inout [String: Double]) async throws {
        let before = try await client.snapshot()
        try await client.startPaced(rate: settings.latencyRate)
        try await Task.sleep(for: settings.warmup)
        _ = try await client.takeSamples()
        try await client.setRecording(true)
        try await Task.sleep(for: settings.latencyDuration)
        try await client.setRecording(false)
        let after = try await client.stopAndDrain(limit: settings.drainLimit)
        let samples = try await client.takeSamples().map { Double($0) / 1000 }
        figures["lat_p50_us"] = Statistics.percentile(samples, 0.5)
        figures["lat_p99_us"] = Statistics.percentile(samples, 0.99)
        figures["lat_p999_us"] = Statistics.percentile(samples, 0.999)
        figures["lat_max_us"] = samples.max() ?? 0
        figures["lat_samples"] = Double(samples.count)
        figures["lat_rate"] = Double(after.sent - before.sent) / (settings.warmup + settings.latencyDuration).seconds
        figures["lat_lost"] = Double((after.sent - before.sent) - (after.received - before.received))
    }

    private func measureThroughput(
        server: SignalingServerProcess, client: SignalingClient, into figures: inout [String: Double]
    ) async throws {
        let before = try await client.snapshot()
        try await client.startClosedLoop(window: settings.window)
        try await Task.sleep(for: settings.warmup)
        _ = try await client.takeSamples()
        try await client.setRecording(true)
        let start = try await client.snapshot()
        let started = ContinuousClock.now
        let serverCPU = server.cpuSeconds()
        let clientCPU = SignalingProcStats.cpuSeconds(pid: "self")
        try await Task.sleep(for: settings.throughputDuration)
        let end = try await client.snapshot()
        let elapsed = (ContinuousClock.now - started).seconds
        let serverCPUEnd = server.cpuSeconds()
        let clientCPUEnd = SignalingProcStats.cpuSeconds(pid: "self")
        try await client.setRecording(false)
        let after = try await client.stopAndDrain(limit: settings.drainLimit)
        let samples = try await client.takeSamples().map { Double($0) / 1000 }
        let messages = Double(end.received - start.received)
        figures["throughput"] = messages / elapsed
        figures["sat_p50_us"] = Statistics.percentile(samples, 0.5)
        figures["sat_p99_us"] = Statistics.percentile(samples, 0.99)
        figures["tput_lost"] = Double((after.sent - before.sent) - (after.received - before.received))
        if messages > 0, let serverCPU, let serverCPUEnd {
            figures["server_cpu_us_per_msg"] = (serverCPUEnd - serverCPU) / messages * 1e6
            figures["server_cores"] = (serverCPUEnd - serverCPU) / elapsed
        }
        if messages > 0, let clientCPU, let clientCPUEnd {
            figures["client_cpu_us_per_msg"] = (clientCPUEnd - clientCPU) / messages * 1e6
            figures["client_cores"] = (clientCPUEnd - clientCPU) / elapsed
        }
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
