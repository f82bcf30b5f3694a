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

    /// The per-round samples of a figure (empty when it did not run).
    func samples(_ key: String) -> [Double] {
        figures.first { $0.key == key }?.samples ?? []
    }

    /// The medians over the rounds of a figure's side values.
    func details(_ key: String) -> [String: Double] {
        figures.first { $0.key == key }?.medianDetails ?? [:]
    }

    /// The ratio of two figures' medians.
    func ratio(_ numerator: String, _ denominator: String) -> Double? {
        guard let top = median(numerator), let bottom = median(denominator), bottom > 0 else { return nil }
        return top / bottom
    }

    /// The ratio of two figures within each round (both run once per round, so sample i of each is round i).
    func roundRatios(_ numerator: String, _ denominator: String) -> [Double] {
        Statistics.roundRatios(samples(numerator), samples(denominator))
    }
}
