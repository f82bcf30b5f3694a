import CSecp256k1
import Foundation

/// The one libsecp256k1 context of the process, created and randomized (blinding against side
/// channels) once. After that it is only read, which the library allows from any thread.
enum Secp256k1Context {
    nonisolated(unsafe) static let shared: OpaquePointer = {
        guard let context = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE)) else {
            preconditionFailure("libsecp256k1 could not create a context")
        }
        var seed = SystemRandom.bytes(32)
        defer { SystemRandom.wipe(&seed) }
        guard secp256k1_context_randomize(context, seed) == 1 else {
            preconditionFailure("libsecp256k1 could not randomize its context")
        }
        return context
    }()
}
