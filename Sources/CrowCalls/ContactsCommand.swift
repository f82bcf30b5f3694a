import ArgumentParser
import CallStore
import OwnerStore
import Foundation

/// `crow-calls contacts add|list|remove` (docs/CLI.md): the same rules as `/api/contacts`.
struct ContactsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contacts",
        abstract: "Manage the owner's contacts.",
        subcommands: [Add.self, List.self, Remove.self]
    )

    /// One line per contact: id, name, npub, hex key, transport, relays (comma separated), tab separated.
    static func line(_ contact: ContactRecord) -> String {
        [contact.id, terminalSafe(contact.name), contact.npub, contact.pubkey, contact.transport.rawValue,
         contact.relays.map(terminalSafe).joined(separator: ",")].joined(separator: "\t")
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a contact.")

        @Option(help: "Name (1 to 64 characters).") var name: String
        @Option(help: "Nostr public key: npub or 64 hex characters.") var pubkey: String
        @Option(name: .customLong("relay"), help: "Relay URL (wss://, or ws:// to a loopback or tailnet host); repeatable, at most 16.")
        var relays: [String] = []
        @Option(help: "Invite transport: nip17 (default) or crow.") var transport: String?
        @OptionGroup var data: OwnerDataOptions

        func run() async throws {
            let draft: ContactDraft
            do {
                draft = try ContactDraft(name: name, pubkey: pubkey, relays: relays, transport: transport)
            } catch {
                throw ValidationError(error.description)
            }
            let store = try data.openOwners()
            defer { try? store.close() }
            do {
                print(ContactsCommand.line(try await store.addContact(draft)))
            } catch .contactExists {
                throw CommandFailure("a contact with this public key already exists")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List contacts: id, name, npub, hex key, transport, relays (tab separated)."
        )

        @Flag(help: "Print JSON instead.") var json = false
        @OptionGroup var data: OwnerDataOptions

        func run() async throws {
            let store = try data.openOwners()
            defer { try? store.close() }
            let contacts = try await store.contacts()
            if json {
                struct Entry: Encodable {
                    var id, name, pubkey, npub, transport: String
                    var relays: [String]
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                let entries = contacts.map {
                    Entry(id: $0.id, name: $0.name, pubkey: $0.pubkey, npub: $0.npub, transport: $0.transport.rawValue, relays: $0.relays)
                }
                print(String(decoding: try encoder.encode(["contacts": entries]), as: UTF8.self))
            } else {
                for contact in contacts { print(ContactsCommand.line(contact)) }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a contact by id.")

        @Argument(help: "The contact id (from `contacts list`).") var id: String
        @OptionGroup var data: OwnerDataOptions

        func run() async throws {
            let store = try data.openOwners()
            defer { try? store.close() }
            do {
                try await store.deleteContact(id: id)
            } catch .contactNotFound {
                throw CommandFailure("no contact with id \(terminalSafe(id))")
            }
            print("removed \(id)")
        }
    }
}
