import ArgumentParser
import CallStore
import OwnerStore
import Foundation
import Gateway
import Ledger

/// `--data-dir` for the commands that work on the owner's tables of the ledger file while the gateway may
/// be running (SQLite in WAL mode lets both write; each write is one short transaction).
struct OwnerDataOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (CROW_CALLS_DATA, default ./data).")
    var dataDirectory: String?

    /// The environment's configuration with `--data-dir` applied.
    func configuration() throws -> GatewayConfiguration {
        var configuration: GatewayConfiguration
        do {
            configuration = try GatewayConfiguration.fromEnvironment(ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError("\(error)")
        }
        if let dataDirectory { configuration.dataDirectory = dataDirectory }
        guard !configuration.dataDirectory.isEmpty else { throw ValidationError("--data-dir must not be empty") }
        return configuration
    }

    /// Opens `<data dir>/ledger.sqlite`, creating it (with every migration) when it does not exist yet.
    func openOwners() throws -> OwnerStore {
        let path = try configuration().ledgerPath
        if !FileManager.default.fileExists(atPath: path) {
            FileHandle.standardError.write(Data("note: creating a new ledger at \(path)\n".utf8))
        }
        do {
            return OwnerStore(ledger: try CallStore.openLedger(LedgerConfiguration(path: path)))
        } catch {
            throw ValidationError("cannot open the ledger at \(path): \(error)")
        }
    }
}

/// Text from the database made safe for a terminal: control characters become `?`.
func terminalSafe(_ text: String) -> String {
    String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: return "?"
        default: return scalar
        }
    }))
}

/// A command that could not do what was asked (not a usage mistake): printed as `Error: ...`, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
