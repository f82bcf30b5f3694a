/// The report of `crow-bench all`: the machine, the commit, every target with PASS or MISS (and, for each
/// MISS, what the run measured about why), then every figure with its median, min and max.
struct SuiteReport: Sendable {
    struct Part: Sendable {
        let key: String
        let title: String
        /// nil when the part failed.
        let report: BenchReport?
        let keep: (@Sendable (TargetCheck) -> Bool)?
        let failure: String?

        var targets: [TargetCheck] {
            guard let report else { return [] }
            return report.targets.filter { keep?($0) ?? true }
        }
    }

    let date: String
    let command: String
    let machine: MachineFacts
    let loadAverageStart: String
    let loadAverageEnd: String
    let minutes: Double
    let quick: Bool
    let parts: [Part]

    var markdown: String {
        var out: [String] = []
        out.append("### `crow-bench all`, \(date)")
        out.append("")
        out.append("- Machine: \(machine.summary).")
        out.append("- Build: \(parts.compactMap(\.report).first?.build ?? BenchReport.buildKind), commit \(machine.commit).")
        out.append("- Command: `\(command)`, \(ReportPrinter.number(minutes)) minutes, load average \(loadAverageStart) → \(loadAverageEnd).")
        if quick { out.append("- **Smoke run (`--quick`)**: tiny sizes; the figures say nothing about performance.") }
        for part in parts {
            if let failure = part.failure { out.append("- **\(part.title) failed**: \(failure)") }
            for skipped in part.report?.skipped ?? [] { out.append("- \(part.title): \(skipped)") }
        }
        out.append("")
        out.append("| target | median | rounds (min–max) | target | result |")
        out.append("|---|---:|---:|---:|---|")
        // Targets missed for the same measured reason share one line.
        var reasons: [(reason: String, targets: [String])] = []
        for part in parts {
            for target in part.targets {
                let name = target.note.map { "\(target.name) (\($0))" } ?? target.name
                out.append(
                    "| \(name) | \(value(target.measured, target.unit)) | \(spread(target)) | "
                        + "\(target.comparison.rawValue) \(value(target.threshold, target.unit)) | \(target.status) |")
                guard target.status == "MISS" else { continue }
                let reason = target.reason ?? "no diagnostic figure ran"
                if let index = reasons.firstIndex(where: { $0.reason == reason }) {
                    reasons[index].targets.append(target.name)
                } else {
                    reasons.append((reason, [target.name]))
                }
            }
        }
        if !reasons.isEmpty {
            out.append("")
            out.append("Why each MISS, from the same run:")
            out.append("")
            out += reasons.map { "- **\($0.targets.joined(separator: "; "))**: \($0.reason)." }
        }
        for part in parts {
            guard let report = part.report else { continue }
            out.append("")
            let sockets = report.parameters["sockets"].map { ", \(ReportPrinter.number(Double($0))) sockets" } ?? ""
            out.append("#### Figures: \(part.title)\(sockets)")
            out.append("")
            if let fill = report.fill {
                out.append(
                    "Ledger: \(ReportPrinter.number(Double(fill.events))) events, \(ReportPrinter.number(Double(fill.incomingCalls))) "
                        + "incoming calls over \(fill.days) days, filled at \(ReportPrinter.number(fill.eventsPerSecond)) events/s.")
                out.append("")
            }
            out.append("| figure | median | min | max | unit |")
            out.append("|---|---:|---:|---:|---|")
            for figure in report.figures {
                out.append(
                    "| \(figure.label.trimmingPrefix(" ")) | \(ReportPrinter.number(figure.median)) | \(ReportPrinter.number(figure.min)) "
                        + "| \(ReportPrinter.number(figure.max)) | \(figure.unit) |")
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    private func value(_ number: Double?, _ unit: String) -> String {
        guard let number else { return "–" }
        return unit == "x" ? ReportPrinter.number(number) + "×" : ReportPrinter.number(number) + " " + unit
    }

    private func spread(_ target: TargetCheck) -> String {
        guard let low = target.low, let high = target.high else { return "–" }
        return "\(ReportPrinter.number(low))–\(ReportPrinter.number(high))"
    }
}

extension String {
    fileprivate func trimmingPrefix(_ character: Character) -> String {
        String(drop { $0 == character })
    }
}
