import Foundation

/// Nostr's clock: unix seconds.
public enum NostrTime {
    public static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }
}
