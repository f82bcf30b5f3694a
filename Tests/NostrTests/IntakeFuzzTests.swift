import Foundation
import Nostr
import TestSupport
import Testing

/// A seeded, time-bounded fuzzer over everything a contact or a stranger can send to the inbox, run
/// against the pure receive rules (`InviteIntake.open`) and the relay-message reader
/// (`RelayMessage.parse`). The cases come from `IntakeFuzzer` (Tests/TestSupport/NostrFuzzCases.swift):
/// relay frames valid and broken; events and gift wraps built like a contact's real invites, then with
/// ids, keys, signatures, kinds, tags, times and contents broken; seals and rumors that disagree; valid
/// transports carrying hostile envelopes.
///
/// What must hold: nothing traps (a trap ends the test process, with the seed printed just before);
/// an event opens only when the case says it is a valid invite, and otherwise is dropped with a reason
/// (the one the case names, where it names one); a text parses only as the case says; and the run
/// stays within its time budget.
///
/// Short mode (the default, for CI): four fixed seeds, 500 event cases and 500 texts each (2,000 of each), and the
/// whole of each run within `shortBudget`. Long mode, from the shell or a script:
///
///     CROW_FUZZ_CASES=200000 CROW_FUZZ_SEED=12345 CROW_FUZZ_SECONDS=600 \
///         swift test --filter IntakeFuzzTests
///
/// `CROW_FUZZ_CASES` is the number of cases per seed and per kind (events, texts); `CROW_FUZZ_SEED`
/// replaces the fixed seeds with one; `CROW_FUZZ_SECONDS` stops a long run when the time is up (it
/// then passes with what it ran). `CROW_FUZZ_TRACE=1` prints every case before it runs, so that the
/// last line before a trap names it; a failure prints the seed and case index, and
/// `IntakeFuzzer(seed: seed, now: IntakeFuzzTests.now).eventCase(index)` (or `textCase`) rebuilds it.
///
/// A trap found once becomes a regression test (`IntakeFuzzRegressionTests`); while it is not fixed yet,
/// its inputs can be listed in `KnownTraps` and are skipped here (and counted), so that the fuzzer
/// keeps running meanwhile.
@Suite struct IntakeFuzzTests {
    /// The receiver's clock in every case: fixed, so a seed means the same cases on any day.
    static let now: Int64 = 1_800_000_000
    static let fixedSeeds: [UInt64] = [1, 20_260_601, 0xC0FF_EE00, 0xDEAD_BEEF_CAFE_F00D]
    static let shortCases = 500
    static let shortBudget: Duration = .seconds(120)
    /// A single case that takes this long is a failure too (something went quadratic).
    static let slowCase: Duration = .seconds(10)

    struct Mode {
        var cases: Int
        var seeds: [UInt64]
        /// Short mode: the run must finish within this. Long mode: the run stops here.
        var budget: Duration?
        var long: Bool
        var trace: Bool
    }

    static let mode: Mode = {
        let environment = ProcessInfo.processInfo.environment
        let cases = environment["CROW_FUZZ_CASES"].flatMap { Int($0) }
        let seed = environment["CROW_FUZZ_SEED"].flatMap { UInt64($0) }
        let seconds = environment["CROW_FUZZ_SECONDS"].flatMap { Int($0) }
        let trace = environment["CROW_FUZZ_TRACE"] == "1"
        if cases == nil, seed == nil {
            return Mode(cases: shortCases, seeds: fixedSeeds, budget: shortBudget, long: false, trace: trace)
        }
        return Mode(cases: cases ?? shortCases, seeds: seed.map { [$0] } ?? fixedSeeds, budget: seconds.map { .seconds($0) }, long: true, trace: trace)
    }()

    /// Collects failures, with what is needed to replay them, up to a limit.
    struct Findings {
        var seed: UInt64
        var failures: [String] = []
        var count = 0

        mutating func add(_ text: String) {
            count += 1
            if failures.count < 25 { failures.append(text) }
        }

        func report(_ what: String, ran: Int) {
            guard count > 0 else { return }
            Issue.record(
                Comment(rawValue: "\(what): \(count) of \(ran) cases failed with seed \(seed) (CROW_FUZZ_SEED=\(seed)):\n" + failures.joined(separator: "\n"))
            )
        }
    }

    static func describe(_ result: Result<InviteIntake.Opened, InviteIntake.Drop>) -> String {
        switch result {
        case .success(let opened): return "opened \(opened.envelope.subtype) from \(opened.sender.hex.prefix(8))"
        case .failure(let drop): return "dropped \(drop.rawValue)"
        }
    }

    @Test(arguments: IntakeFuzzTests.mode.seeds)
    func eventsFromContactsAndStrangers(seed: UInt64) async {
        let mode = Self.mode
        print("IntakeFuzzTests events: seed \(seed), \(mode.cases) cases")
        var fuzzer = IntakeFuzzer(seed: seed, now: Self.now)
        let contact = fuzzer.contact.publicKey.hex
        var findings = Findings(seed: seed)
        var reasons: [InviteIntake.Drop: Int] = [:]
        var opened = 0
        let clock = ContinuousClock()
        let start = clock.now
        var ran = 0
        for index in 0..<mode.cases {
            if mode.long, let budget = mode.budget, clock.now - start > budget { break }
            let item = fuzzer.eventCase(index)
            if mode.trace { print("IntakeFuzzTests seed \(seed) \(item)") }
            // Every 25th case the work budget is spent: whatever it is, it must not open.
            let spent = index % 25 == 24
            let caseStart = clock.now
            let result = await InviteIntake.open(item.event, me: fuzzer.me, now: Self.now, admitWork: { !spent }) { $0 == contact }
            let took = clock.now - caseStart
            ran += 1
            switch result {
            case .success: opened += 1
            case .failure(let drop): reasons[drop, default: 0] += 1
            }
            if spent {
                if case .success = result { findings.add("\(item): opened although no work was admitted") }
                if item.expectation == .opens, result != .failure(.busy) { findings.add("\(item): \(Self.describe(result)), expected busy") }
            } else if !item.expectation.admits(result) {
                findings.add("\(item): \(Self.describe(result))")
            }
            if took > Self.slowCase { findings.add("\(item): took \(took)") }
        }
        let elapsed = clock.now - start
        print("IntakeFuzzTests events: seed \(seed), \(ran) cases in \(elapsed), \(opened) opened, drops \(reasons.map { "\($0.key.rawValue)=\($0.value)" }.sorted())")
        findings.report("InviteIntake.open", ran: ran)
        if !mode.long, let budget = mode.budget {
            #expect(elapsed < budget, "seed \(seed): \(ran) cases took \(elapsed)")
        }
        // The cases reach deep: valid ones open, and most reasons are seen.
        if ran >= 400 {
            #expect(opened > 0, "seed \(seed): nothing opened")
            #expect(reasons.count >= 10, "seed \(seed): only \(reasons.keys.map(\.rawValue).sorted())")
        }
    }

    @Test(arguments: IntakeFuzzTests.mode.seeds)
    func relayMessageTexts(seed: UInt64) async {
        let mode = Self.mode
        print("IntakeFuzzTests texts: seed \(seed), \(mode.cases) cases")
        var fuzzer = IntakeFuzzer(seed: seed, now: Self.now)
        let contact = fuzzer.contact.publicKey.hex
        var findings = Findings(seed: seed)
        let clock = ContinuousClock()
        let start = clock.now
        var ran = 0
        var parsed = 0
        var skipped: [String: Int] = [:]
        for index in 0..<mode.cases {
            if mode.long, let budget = mode.budget, clock.now - start > budget { break }
            let item = fuzzer.textCase(index)
            if mode.trace { print("IntakeFuzzTests seed \(seed) \(item)") }
            if let regression = KnownTraps.relayMessage(item.text, fromRelay: item.fromRelay) {
                skipped[regression, default: 0] += 1
                continue
            }
            let caseStart = clock.now
            let message = RelayMessage.parse(item.text, fromRelay: item.fromRelay)
            ran += 1
            if !item.expectation.admits(message) {
                findings.add("\(item): parsed as \(message.map { "\($0)".prefix(200) } ?? "nil")")
            }
            if let message {
                parsed += 1
                // What was read can be written again, and reads back the same.
                let json = message.json()
                if json.utf8.count <= RelayMessage.maxBytes, RelayMessage.parse(json, fromRelay: item.fromRelay) != message {
                    findings.add("\(item): does not read back from \(json.prefix(200).debugDescription)")
                }
                // An event inside goes on to the receive rules, as the inbox and the relays hand it over.
                var event: NostrEvent?
                if case .publish(let inner) = message { event = inner }
                if case .event(_, let inner) = message { event = inner }
                if let event {
                    let result = await InviteIntake.open(event, me: fuzzer.me, now: Self.now) { $0 == contact }
                    if item.eventOpens, case .failure(let drop) = result { findings.add("\(item): the valid event inside was dropped: \(drop)") }
                }
            }
            if clock.now - caseStart > Self.slowCase { findings.add("\(item): took \(clock.now - caseStart)") }
        }
        let elapsed = clock.now - start
        print("IntakeFuzzTests texts: seed \(seed), \(ran) cases in \(elapsed), \(parsed) parsed, known traps skipped: \(skipped)")
        findings.report("RelayMessage.parse", ran: ran)
        if !mode.long, let budget = mode.budget {
            #expect(elapsed < budget, "seed \(seed): \(ran) cases took \(elapsed)")
        }
    }

    /// A seed and an index name one case, whatever ran before it.
    @Test func casesAreReplayableFromSeedAndIndex() {
        var first = IntakeFuzzer(seed: 42, now: Self.now)
        let sequential = (0..<40).map { _ in first.nextEvent() }
        var second = IntakeFuzzer(seed: 42, now: Self.now)
        for index in [39, 3, 17, 0] {
            let again = second.eventCase(index)
            #expect(again.event == sequential[index].event && again.label == sequential[index].label, "case \(index)")
        }
        var third = IntakeFuzzer(seed: 42, now: Self.now)
        #expect((0..<40).map { third.textCase($0).text } == (0..<40).map { second.textCase($0).text })
        var other = IntakeFuzzer(seed: 43, now: Self.now)
        #expect((0..<40).map { other.eventCase($0).event } != sequential.map(\.event))
    }
}
