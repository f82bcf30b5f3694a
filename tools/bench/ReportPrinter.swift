import Foundation

/// The human-readable tables of a `BenchReport`.
enum ReportPrinter {
    static func text(_ report: BenchReport) -> String {
        var out: [String] = []
        out.append("crow-bench \(report.name)  \(report.date)  \(report.build) build, \(report.cores) cores, load \(report.loadAverageStart) -> \(report.loadAverageEnd)")
        out.append(report.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        if !report.workload.isEmpty { out.append(report.workload) }
        if let fill = report.fill {
            out.append("ledger for rebuild/query: \(number(Double(fill.events))) events, \(number(Double(fill.incomingCalls))) incoming calls over \(fill.days) days, filled in \(String(format: "%.1f", fill.seconds)) s (\(number(fill.eventsPerSecond)) events/s, NORMAL, ~1000-event batches)")
        }
        out.append("")
        let rounds = report.figures.map(\.samples.count).max() ?? 0
        var figures = TextTable(["figure (median of \(rounds) round\(rounds == 1 ? "" : "s"))", "median", "min", "max", "unit"])
        for figure in report.figures {
            let details = figure.details.sorted { $0.key < $1.key }.map { "\($0.key)=\(number($0.value))" }
            figures.add(
                [figure.label, number(figure.median), number(figure.min), number(figure.max), figure.unit],
                notes: details.isEmpty ? [] : [details.joined(separator: "  ")])
        }
        out.append(figures.render())
        out.append("")
        out.append(targets(report.targets).render())
        for skipped in report.skipped { out.append("skipped: \(skipped)") }
        if report.build == "debug" { out.append("note: debug build; use `bash tools/release-build.sh crow-calls crow-bench` for real figures") }
        return out.joined(separator: "\n")
    }

    /// The targets with what was measured, the threshold and the result; under each, the range over the
    /// rounds and, for a MISS, why.
    static func targets(_ targets: [TargetCheck]) -> TextTable {
        var table = TextTable(["target", "measured", "target", "result", "note"], leftAligned: [0, 4])
        for target in targets {
            let measured = target.measured.map { number($0) + " " + target.unit } ?? "-"
            let threshold = "\(target.comparison.rawValue) \(number(target.threshold)) \(target.unit)"
            var notes: [String] = []
            if let low = target.low, let high = target.high, low != high { notes.append("rounds: \(number(low))-\(number(high)) \(target.unit)") }
            if target.status == "MISS", let reason = target.reason { notes.append("why: \(reason)") }
            table.add([target.name, measured, threshold, target.status, target.note ?? ""], notes: notes)
        }
        return table
    }

    /// 1,234,567 for large values, 3 significant digits for small ones.
    static func number(_ value: Double) -> String {
        if value.isNaN || value.isInfinite { return "\(value)" }
        if abs(value) >= 1000 {
            let digits = String(Int64(value.rounded()))
            var grouped = ""
            for (index, character) in digits.reversed().enumerated() {
                if index > 0, index % 3 == 0, character != "-" { grouped.append(",") }
                grouped.append(character)
            }
            return String(grouped.reversed())
        }
        if abs(value) >= 100 { return String(format: "%.0f", value) }
        if abs(value) >= 10 { return String(format: "%.1f", value) }
        return String(format: "%.2f", value)
    }
}
