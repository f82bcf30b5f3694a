import ArgumentParser
import Foundation
import Gateway
import Nostr

/// `crow-calls identity`: the gateway's Nostr public key, as npub and hex. Makes the key (as the first
/// `serve` would) when there is none yet, so the owner can hand out the npub before starting.
struct IdentityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identity",
        abstract: "Print the gateway's Nostr public key (npub and hex); make the key if there is none."
    )

    @OptionGroup var data: OwnerDataOptions

    @Option(name: .customLong("key-file"), help: "The Nostr key file (CROW_NOSTR_KEY_FILE, default <data-dir>/nostr.key).")
    var keyFile: String?

    func run() async throws {
        var configuration = try data.configuration()
        if let keyFile { configuration.nostrKeyFile = keyFile }
        do {
            let (key, created) = try NostrIdentity.loadOrCreate(at: configuration.nostrKeyPath)
            if created {
                FileHandle.standardError.write(Data("made a new Nostr key in \(configuration.nostrKeyPath)\n".utf8))
            }
            print("npub: \(key.publicKey.npub)")
            print("hex:  \(key.publicKey.hex)")
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
