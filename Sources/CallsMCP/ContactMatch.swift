import Foundation
import Nostr
import OwnerStore

/// Finds the contact a person or an assistant means: by id, by public key (hex or npub), or by name
/// (case and accents ignored). When nothing matches exactly it suggests close names, so "Call Alise"
/// can answer "did you mean Alice?".
enum ContactMatch: Equatable {
    case found(ContactRecord)
    /// More than one contact has this name.
    case ambiguous([ContactRecord])
    /// None matches; the closest names first (may be empty).
    case notFound(suggestions: [String])

    static func find(_ query: String, in contacts: [ContactRecord]) -> ContactMatch {
        let trimmed = query.trimmingCharacters(in: .whitespaces)
        if let byID = contacts.first(where: { $0.id == trimmed }) { return .found(byID) }
        if let hex = NostrKey.publicKeyHex(trimmed), let byKey = contacts.first(where: { $0.pubkey == hex }) { return .found(byKey) }
        let wanted = fold(trimmed)
        let named = contacts.filter { fold($0.name) == wanted }
        if named.count == 1 { return .found(named[0]) }
        if named.count > 1 { return .ambiguous(named) }
        // One contact whose name starts with what was asked ("Ada" for "Ada Lovelace").
        let starting = contacts.filter { fold($0.name).hasPrefix(wanted) || fold($0.name).split(separator: " ").contains { $0 == wanted } }
        if starting.count == 1, !wanted.isEmpty { return .found(starting[0]) }
        let scored = contacts.map { contact -> (String, Int) in
            let name = fold(contact.name)
            if !wanted.isEmpty, name.contains(wanted) || wanted.contains(name) { return (contact.name, 0) }
            // The whole name or any word of it ("Grase" is close to "Grace Hopper").
            let words = [name] + name.split(separator: " ").map(String.init)
            return (contact.name, words.map { distance($0, wanted) }.min() ?? Int.max)
        }
        // One typo in a short name, one in three letters in a longer one.
        let limit = max(1, wanted.count / 3)
        let close = scored.filter { $0.1 <= limit }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.map(\.0)
        return .notFound(suggestions: Array(close.prefix(5)))
    }

    static func fold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).trimmingCharacters(in: .whitespaces)
    }

    /// Levenshtein distance, on characters.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
