import ArgumentParser

/// `crow-bench`: measures the ledger against raw SQLite and a Python event-sourcing baseline, and
/// drives append loops for the crash-safety test. See tools/bench/README.md.
@main
struct CrowBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crow-bench",
        abstract: "Benchmarks of the Crow Calls ledger.",
        subcommands: [SuiteBenchmark.self, LedgerBenchmark.self, AppendLoop.self, SignalingBenchmark.self, WebBenchmark.self, NostrBenchmark.self, NotificationBenchmark.self, StartupBenchmark.self, InviteBenchmark.self],
        defaultSubcommand: LedgerBenchmark.self
    )
}
