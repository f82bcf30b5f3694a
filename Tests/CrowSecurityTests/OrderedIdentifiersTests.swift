@testable import CrowSecurity
import Testing

/// Time-ordered ids key the ledger's token and incoming-call rows: they must keep the 16-hex format of
/// every other id, never repeat within a process, and sort as they were made, whatever the clock does.
@Suite struct OrderedIdentifiersTests {
    private static func isLowercaseHex16(_ text: String) -> Bool {
        text.utf8.count == 16 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    @Test func theFirstElevenDigitsAreTheMillisecondAndTheRestACounterFromTheRandomStart() {
        var ids = OrderedIdentifiers()
        let now: Int64 = 1_796_000_000_123
        let first = ids.next(now: now, random: 0x0001_2345)
        #expect(first == String(String(now, radix: 16).leftPadded(to: 11)) + "12345")
        #expect(ids.next(now: now, random: 0x7FFFF) == String(String(now, radix: 16).leftPadded(to: 11)) + "12346")
        // Only the low 19 bits of the random start count, so a millisecond always has room to count.
        let later = ids.next(now: now + 1, random: 0xFFFF_FFFF)
        #expect(later.hasSuffix("7ffff"))
    }

    @Test func idsIncreaseAndNeverRepeatWhenTheClockStandsStillOrGoesBack() {
        var ids = OrderedIdentifiers()
        var generator = SystemRandomNumberGenerator()
        var previous = ""
        var seen = Set<String>()
        let clock: [Int64] = [5_000, 5_000, 5_000, 4_000, 4_999, 5_000, 5_001, 5_001, 1, 6_000]
        for now in clock {
            for _ in 0..<1_000 {
                let id = ids.next(now: now, random: UInt32(truncatingIfNeeded: generator.next()))
                #expect(Self.isLowercaseHex16(id))
                #expect(id > previous)
                #expect(seen.insert(id).inserted)
                previous = id
            }
        }
    }

    @Test func aSpentCounterBorrowsTheNextMillisecond() {
        var ids = OrderedIdentifiers()
        let now: Int64 = 1_000
        var previous = ids.next(now: now, random: 0x7FFFF)
        // From the highest start, 2^19 more ids fit in the millisecond; the next one moves on.
        for _ in 0..<(1 << 19) {
            let id = ids.next(now: now, random: 0)
            #expect(id > previous)
            previous = id
        }
        #expect(previous.hasPrefix(String(now, radix: 16).leftPadded(to: 11)))
        #expect(previous.hasSuffix("fffff"))
        let borrowed = ids.next(now: now, random: 3)
        #expect(borrowed == String(now + 1, radix: 16).leftPadded(to: 11) + "00003")
        // The clock catching up to the borrowed millisecond keeps counting from there.
        #expect(ids.next(now: now + 1, random: 9) == String(now + 1, radix: 16).leftPadded(to: 11) + "00004")
    }

    @Test func timesOutsideTheRangeAreClampedNotTrapped() {
        var ids = OrderedIdentifiers()
        #expect(ids.next(now: -5, random: 0) == "0000000000000000")
        var late = OrderedIdentifiers()
        #expect(late.next(now: .max, random: 1) == "fffffffffff00001")
    }

    @Test func theProcessGeneratorKeepsOrderAcrossCallers() async {
        let now: Int64 = 1_900_000_000_000
        let drawn = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<500).map { _ in Secrets.orderedIdentifier(now: now) } }
            }
            var all: [[String]] = []
            for await ids in group { all.append(ids) }
            return all
        }
        // Each caller sees its own ids increase, and no id is drawn twice.
        for ids in drawn { #expect(ids == ids.sorted()) }
        #expect(Set(drawn.joined()).count == 8 * 500)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
