import Foundation
import TestSupport
import Testing

@testable import Nostr

/// The gateway's key file: made once with mode 0600, read back the same, refused when others can read it
/// or when it holds anything but a key.
@Suite struct NostrIdentityTests {
    @Test func theKeyIsMadeOnceAndReadBack() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/sub/nostr.key"
        let (first, created) = try NostrIdentity.loadOrCreate(at: path)
        #expect(created)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("nsec1") && text.hasSuffix("\n"))
        let (second, createdAgain) = try NostrIdentity.loadOrCreate(at: path)
        #expect(!createdAgain)
        #expect(second.publicKey == first.publicKey)
    }

    @Test func unsafeOrBrokenKeyFilesAreRefusedWithTheReason() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/nostr.key"
        _ = try NostrIdentity.loadOrCreate(at: path)
        chmod(path, 0o644)
        #expect(throws: NostrIdentity.Failure.self) { try NostrIdentity.load(at: path) }
        do {
            _ = try NostrIdentity.load(at: path)
        } catch {
            #expect(error.reason.contains("chmod 600"))
        }
        chmod(path, 0o600)
        try "not a key\n".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(throws: NostrIdentity.Failure.self) { try NostrIdentity.load(at: path) }
        // A hex key given by the operator works too.
        let hex = "0000000000000000000000000000000000000000000000000000000000000003"
        try (hex + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        #expect(try NostrIdentity.load(at: path).publicKey.hex == "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9")
    }

    @Test func twoProcessesStartingAtOnceGetOneKey() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/nostr.key"
        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try NostrIdentity.loadOrCreate(at: path).key.publicKey.hex } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(keys.count == 1)
    }
}
