import ArgumentParser

/// `crow-bench signaling`: the signaling relay benchmark (`run`, the default) and the servers it
/// starts as child processes (`serve`, hidden). See docs/BENCHMARKS.md, "Signaling relay".
struct SignalingBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signaling",
        abstract: "Signaling relay: gateway vs a Python websockets relay vs a Swift echo, 1,000 sockets.",
        subcommands: [SignalingRun.self, SignalingServe.self],
        defaultSubcommand: SignalingRun.self
    )
}
