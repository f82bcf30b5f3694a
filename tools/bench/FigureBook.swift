/// The figures of a run, one per contender, each with its per-round samples, in the order first seen.
struct FigureBook: Sendable {
    struct Figure: Sendable {
        let key: String
        let label: String
        let unit: String
        var samples: [Double] = []
        var details: [String: [Double]] = [:]

        var median: Double { Statistics.median(samples) }
        var medianDetails: [String: Double] { details.mapValues { Statistics.median($0) } }
    }

    private(set) var figures: [Figure] = []

    mutating func record(_ key: String, _ label: String, unit: String, _ sample: Sample) {
        let index: Int
        if let found = figures.firstIndex(where: { $0.key == key }) {
            index = found
        } else {
            figures.append(Figure(key: key, label: label, unit: unit))
            index = figures.count - 1
        }
        figures[index].samples.append(sample.value)
        for (name, value) in sample.details { figures[index].details[name, default: []].append(value) }
    }

    func median(_ key: String) -> Double? {
        figures.first { $0.key == key }.map(\.median)
    }
}
