#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic time for measurements.
struct Stopwatch {
    private let start: UInt64

    init() { start = Self.nanoseconds() }

    var elapsedSeconds: Double { Double(Self.nanoseconds() - start) / 1e9 }
    var elapsedNanoseconds: UInt64 { Self.nanoseconds() - start }

    static func nanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// Wall-clock unix milliseconds.
    static func unixMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
