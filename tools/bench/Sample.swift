/// One measurement of one contender in one round: its headline value plus named side figures.
struct Sample: Sendable {
    var value: Double
    var details: [String: Double] = [:]
}
