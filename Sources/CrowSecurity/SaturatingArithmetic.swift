extension Int64 {
    /// `self + other`, stopping at `Int64.max` or `Int64.min` instead of trapping: times and counts
    /// that come from other people's machines must never stop the gateway.
    public func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }
}
