import CallStore
import CrowSecurity
import Decisions
import Hummingbird
import OwnerStore

/// Checks owner credentials: an API token (`Authorization: Bearer`) or a session cookie's secret, each
/// through the credential cache, so a check costs a hash and a `stat` while nothing was written.
///
/// Used for every request by `OwnerAuthMiddleware`, and again and again by responses that outlive their
/// request (the live stream of incoming calls): a credential revoked, signed out, expired or dropped by a
/// password change ends those too, at their next check.
struct OwnerCredentialCheck: Sendable {
    /// What a request presented.
    enum Presented: Sendable, Hashable {
        case apiToken(String)
        case session(String)
    }

    let owners: OwnerStore
    let cache: OwnerCredentialCache
    let clock: @Sendable () -> Int64

    /// The credentials a request carries, in the order they are tried: the Bearer token, then the cookie.
    static func presented(in request: Request) -> [Presented] {
        var found: [Presented] = []
        if let bearer = OwnerOriginPolicy.bearerSecret(in: request) { found.append(.apiToken(bearer)) }
        if let cookie = OwnerOriginPolicy.sessionSecret(in: request) { found.append(.session(cookie)) }
        return found
    }

    /// Who the credential stands for now, or nil when it is unknown, revoked or expired.
    /// Throws `ErrorStatus.storageError` when the owner's records cannot be read.
    func principal(_ presented: Presented) async throws -> OwnerPrincipal? {
        switch presented {
        case .apiToken(let secret): return try await apiToken(secret)
        case .session(let secret): return try await session(secret)
        }
    }

    /// Whether `presented` still stands for `owner`. A failed read counts as no: a stream that cannot be
    /// vouched for ends, and the client's reconnect is checked afresh.
    func stillValid(_ presented: Presented, as owner: OwnerPrincipal) async -> Bool {
        (try? await principal(presented)) == owner
    }

    private func apiToken(_ secret: String) async throws -> OwnerPrincipal? {
        let digest = SecretDigest(secret)
        let now = clock()
        if let known = cache.principal(digest: digest, now: now) { return known }
        let stamp = cache.stamp()
        guard let id = try await lookup({ try await owners.ownerAPITokenID(secret: secret) }) else { return nil }
        cache.remember(digest: digest, principal: .apiToken(id: id), stamp: stamp, now: now)
        return .apiToken(id: id)
    }

    private func session(_ secret: String) async throws -> OwnerPrincipal? {
        let digest = SecretDigest(secret)
        let now = clock()
        if let known = cache.principal(digest: digest, now: now) { return known }
        let stamp = cache.stamp()
        guard let session = try await lookup({ try await owners.ownerSession(secret: secret) }) else { return nil }
        cache.remember(digest: digest, principal: .session(id: session.id), stamp: stamp, now: now, expiresAt: session.expiresAt)
        return .session(id: session.id)
    }

    private func lookup<T>(_ body: () async throws -> T?) async throws -> T? {
        do {
            return try await body()
        } catch is OwnerError {
            throw ErrorStatus.storageError
        }
    }
}
