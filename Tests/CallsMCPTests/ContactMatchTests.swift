import Testing

@testable import CallsMCP
@testable import OwnerStore

/// How the AI tools find the contact a person means.
@Suite struct ContactMatchTests {
    static func contact(_ name: String, _ id: String, key: Character = "a") -> ContactRecord {
        ContactRecord(id: id, name: name, pubkey: String(repeating: key, count: 64), relays: [], transport: .nip17, createdAt: 0, updatedAt: 0)
    }

    let contacts = [
        contact("Grace Hopper", "c1", key: "a"), contact("Alan Turing", "c2", key: "b"), contact("Zoë", "c3", key: "c"),
        contact("Ada", "c4", key: "d"), contact("ada", "c5", key: "e"),
    ]

    @Test func namesIdsAndKeysFindTheContact() {
        #expect(ContactMatch.find("Grace Hopper", in: contacts) == .found(contacts[0]))
        #expect(ContactMatch.find("  grace hopper ", in: contacts) == .found(contacts[0]))
        #expect(ContactMatch.find("grace", in: contacts) == .found(contacts[0]))
        #expect(ContactMatch.find("turing", in: contacts) == .found(contacts[1]))
        #expect(ContactMatch.find("zoe", in: contacts) == .found(contacts[2]))
        #expect(ContactMatch.find("c2", in: contacts) == .found(contacts[1]))
        #expect(ContactMatch.find(String(repeating: "c", count: 64), in: contacts) == .found(contacts[2]))
    }

    @Test func twoContactsWithOneNameAreAmbiguous() {
        #expect(ContactMatch.find("ADA", in: contacts) == .ambiguous([contacts[3], contacts[4]]))
    }

    @Test func aNearMissSuggestsTheCloseNames() {
        #expect(ContactMatch.find("Grase", in: contacts) == .notFound(suggestions: ["Grace Hopper"]))
        #expect(ContactMatch.find("Alan Tuing", in: contacts) == .notFound(suggestions: ["Alan Turing"]))
        // A unique beginning is enough.
        #expect(ContactMatch.find("Alan Turin", in: contacts) == .found(contacts[1]))
        #expect(ContactMatch.find("Bob", in: contacts) == .notFound(suggestions: []))
        #expect(ContactMatch.find("", in: []) == .notFound(suggestions: []))
    }
}
