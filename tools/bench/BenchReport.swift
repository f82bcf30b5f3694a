import Foundation

/// Everything a `crow-bench` run measured (`ledger`, `startup`, `signaling`), as written with `--json-file`
/// and read back by `crow-bench all`.
struct BenchReport: Sendable, Codable {
    struct Figure: Sendable, Codable {
        let key: String
        let label: String
        let unit: String
        let median: Double
        let min: Double
        let max: Double
        let samples: [Double]
        /// Medians over the rounds of each side figure.
        let details: [String: Double]
    }

    struct Fill: Sendable, Codable {
        let events: Int64
        let incomingCalls: Int
        let days: Int
        let seconds: Double
        let eventsPerSecond: Double

        init(_ filled: LedgerFiller.Filled, days: Int) {
            events = filled.events
            incomingCalls = filled.incomingCalls
            self.days = days
            seconds = filled.seconds
            eventsPerSecond = Double(filled.events) / filled.seconds
        }
    }

    let date: String
    let command: String
    let build: String
    let cores: Int
    let loadAverageStart: String
    let loadAverageEnd: String
    let parameters: [String: Int]
    let workload: String
    let fill: Fill?
    let figures: [Figure]
    let targets: [TargetCheck]
    let skipped: [String]
    /// The `crow-bench` command that measured this.
    var name = "ledger"

    /// A report of the run now ending: date, command line, build, cores and the load now are filled in.
    init(
        name: String,
        loadAverageStart: String,
        parameters: [String: Int],
        workload: String = "",
        fill: Fill?,
        figures book: FigureBook,
        targets: [TargetCheck],
        skipped: [String]
    ) {
        self.date = Self.now()
        self.command = CommandLine.arguments.joined(separator: " ")
        self.build = Self.buildKind
        self.cores = ProcessInfo.processInfo.activeProcessorCount
        self.loadAverageStart = loadAverageStart
        self.loadAverageEnd = Self.loadAverage()
        self.parameters = parameters
        self.workload = workload
        self.fill = fill
        self.figures = Self.figures(of: book)
        self.targets = targets
        self.skipped = skipped
        self.name = name
    }

    static let workloadDescription = """
        Call workload: hosted calls of 10 single-event appends (room.created, token.issued x2, \
        token.used + peer.joined x2, peer.left x2, room.ended) alternating with incoming calls \
        (invite.received, then accepted/dismissed/declined/cancelled or still ringing); ~9% invite events.
        """

    static func figures(of book: FigureBook) -> [Figure] {
        book.figures.map {
            Figure(
                key: $0.key,
                label: $0.label,
                unit: $0.unit,
                median: $0.median,
                min: $0.samples.min() ?? 0,
                max: $0.samples.max() ?? 0,
                samples: $0.samples,
                details: $0.medianDetails
            )
        }
    }

    static var buildKind: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }

    static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    static func now() -> String {
        ISO8601DateFormatter().string(from: Date())
    }

    /// Writes the JSON form to `path`.
    func write(to path: String) throws {
        try Data((try json() + "\n").utf8).write(to: URL(fileURLWithPath: path))
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
