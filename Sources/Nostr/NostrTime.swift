import Foundation

/// Nostr's clock: unix seconds.
public enum NostrTime {
    public static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    /// Unix seconds as milliseconds, saturating instead of trapping: a time from a sender can be any
    /// 64-bit number, and multiplying one by 1000 must never stop the gateway.
    public static func milliseconds(_ seconds: Int64) -> Int64 {
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard overflow else { return product }
        return seconds < 0 ? .min : .max
    }
}
