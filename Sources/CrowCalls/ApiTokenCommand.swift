import ArgumentParser
import CallStore
import OwnerStore
import Foundation

/// `crow-calls api-token create|list|revoke`: Bearer tokens for the owner's API (docs/CLI.md).
struct ApiTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-token",
        abstract: "Manage owner API tokens (used as Authorization: Bearer <token>).",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API token and print it once. Only its SHA-256 is stored."
        )

        @Option(help: "A label to recognise the token by (at most 120 characters).") var label: String?
        @OptionGroup var data: OwnerDataOptions

        func run() async throws {
            if let label, label.count > 120 { throw ValidationError("--label must be at most 120 characters") }
            let store = try data.openOwners()
            defer { try? store.close() }
            let token = try await store.createOwnerAPIToken(label: label)
            // The token alone on stdout, for scripts; the rest on stderr.
            FileHandle.standardOutput.write(Data("\(token.secret)\n".utf8))
            FileHandle.standardError.write(
                Data("api token \(token.id) created; it is shown only this once, store it now\n".utf8)
            )
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List API tokens (ids and labels, never secrets).")

        @OptionGroup var data: OwnerDataOptions

        func run() async throws {
            let store = try data.openOwners()
            defer { try? store.close() }
            for token in try await store.ownerAPITokens() {
                let created = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(token.createdAt) / 1000))
                let state = token.revokedAt == nil ? "active" : "revoked"
                print([token.id, state, created, terminalSafe(token.label ?? "")].joined(separator: "\t"))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API token by id.")

        @Argument(help: "The token id (from `api-token list`).") var id: String
        @OptionGroup var data: OwnerDataOptions

        func run() async throws {
            let store = try data.openOwners()
            defer { try? store.close() }
            guard try await store.revokeOwnerAPIToken(id: id) else {
                throw CommandFailure("no active API token with id \(terminalSafe(id))")
            }
            print("revoked \(id)")
        }
    }
}
