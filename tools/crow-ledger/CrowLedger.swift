import ArgumentParser

/// `crow-ledger`: the operator's audit, export, replay and simulation tool for a Crow Calls ledger.
/// See docs/CLI.md.
@main
struct CrowLedger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crow-ledger",
        abstract: "Audit, inspect, replay, simulate and back up a Crow Calls event ledger.",
        subcommands: [
            VerifyCommand.self, RebuildCommand.self, LogCommand.self, ExportCommand.self, ReplayCommand.self,
            SimulateCommand.self, BackupCommand.self,
        ]
    )
}
