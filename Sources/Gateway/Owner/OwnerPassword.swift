import OwnerStore
import CallStore
import Crypto
import CryptoExtras
import Foundation
import NIOPosix
import Nostr
import Synchronization

/// The owner's password: scrypt with a random 16-byte salt, the cost stored beside the hash so it can be
/// raised later (a login with an older cost rehashes). Verification always runs the KDF, against a
/// dummy hash when no owner exists, so a wrong password and a missing owner take the same time.
final class OwnerPasswordHasher: Sendable {
    struct Cost: Sendable, Hashable {
        var logN: Int
        var r: Int
        var p: Int

        /// N = 2^15, r = 8, p = 1: 32 MiB and tens of milliseconds per hash.
        static let standard = Cost(logN: 15, r: 8, p: 1)

        /// Costs this build will compute when verifying stored hashes; anything else fails closed.
        var isAcceptable: Bool { (10...20).contains(logN) && (1...32).contains(r) && (1...4).contains(p) }
    }

    static let minimumLength = 12
    /// Longer input is refused before hashing (bytes of UTF-8).
    static let maximumBytes = 1024
    static let saltBytes = 16
    static let hashBytes = 32

    let cost: Cost
    /// The KDF runs on a thread of its own, one hash at a time, and at most `maxQueued` requests wait for
    /// it; more are refused as busy. Not on the cooperative pool (it would stall the event loops of a small
    /// machine), and not on a dispatch queue either: those run on dispatch's global threads, which on Linux
    /// are as many as the cores and also carry name lookups, so a few logins in a row could hold up
    /// everything else that needs them.
    private static let kdfThread: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()
    private let queued = Mutex(0)
    let maxQueued: Int
    /// KDF computations so far (tests check that a wrong password or a missing owner costs one, too).
    var derivations: Int { derivationCount.withLock { $0 } }
    private let derivationCount = Mutex(0)

    init(cost: Cost = .standard, maxQueued: Int = 16) {
        self.cost = cost
        self.maxQueued = maxQueued
    }

    struct Busy: Error {}

    /// Why a new password is refused, or nil when it is acceptable.
    static func problem(password: String, confirmation: String) -> String? {
        if password.count < minimumLength { return "The password must be at least \(minimumLength) characters long." }
        if password.utf8.count > maximumBytes { return "The password must be at most \(maximumBytes) bytes long." }
        if password != confirmation { return "The two passwords do not match." }
        return nil
    }

    /// A new hash of `password` with a fresh salt at the current cost.
    func hash(_ password: String) async throws -> OwnerPasswordHash {
        let cost = self.cost
        let salt = Self.randomSalt()
        let derived = try await run { try self.derive(password, salt: salt, cost: cost) }
        return OwnerPasswordHash(logN: cost.logN, r: cost.r, p: cost.p, salt: Hex.encode(salt), hash: Hex.encode(derived))
    }

    /// Whether `password` matches `stored`; false when `stored` is nil, after the same amount of work.
    func verify(_ password: String, against stored: OwnerPasswordHash?) async throws -> Bool {
        let cost = self.cost
        let target = stored.flatMap { stored -> (salt: [UInt8], hash: [UInt8], cost: Cost)? in
            let storedCost = Cost(logN: stored.logN, r: stored.r, p: stored.p)
            guard storedCost.isAcceptable, let salt = Hex.decode(stored.salt), let hash = Hex.decode(stored.hash),
                !salt.isEmpty, hash.count == Self.hashBytes
            else { return nil }
            return (salt, hash, storedCost)
        }
        let usable = !password.isEmpty && password.utf8.count <= Self.maximumBytes
        return try await run {
            let salt = target?.salt ?? Array(repeating: 0, count: Self.saltBytes)
            let derived = try self.derive(usable ? password : "-", salt: salt, cost: target?.cost ?? cost)
            let expected = target?.hash ?? Array(repeating: 0, count: Self.hashBytes)
            var difference: UInt8 = 0
            for (left, right) in zip(derived, expected) { difference |= left ^ right }
            return difference == 0 && target != nil && usable
        }
    }

    /// Whether a stored hash was made with a lower cost than the current one.
    func needsRehash(_ stored: OwnerPasswordHash) -> Bool {
        stored.logN < cost.logN || stored.r < cost.r || stored.p < cost.p
    }

    // MARK: - Internals

    private func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let admitted = queued.withLock { count in
            guard count < maxQueued else { return false }
            count += 1
            return true
        }
        guard admitted else { throw Busy() }
        defer { queued.withLock { $0 -= 1 } }
        return try await Self.kdfThread.runIfActive { try body() }
    }

    private func derive(_ password: String, salt: [UInt8], cost: Cost) throws -> [UInt8] {
        derivationCount.withLock { $0 += 1 }
        return try Self.derive(password, salt: salt, cost: cost)
    }

    static func derive(_ password: String, salt: [UInt8], cost: Cost) throws -> [UInt8] {
        // Unicode-normalized, so the same password typed on different systems gives the same bytes.
        let bytes = Array(password.precomposedStringWithCanonicalMapping.utf8)
        let key = try KDF.Scrypt.deriveKey(
            from: bytes,
            salt: salt,
            outputByteCount: hashBytes,
            rounds: 1 << cost.logN,
            blockSize: cost.r,
            parallelism: cost.p
        )
        return key.withUnsafeBytes { Array($0) }
    }

    static func randomSalt() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<saltBytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}
