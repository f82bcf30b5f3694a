import CrowSecurity
import Foundation
import GRDB
import Nostr
public import Ledger

/// One of the owner's contacts.
public struct ContactRecord: Sendable, Hashable {
    public var id: String
    public var name: String
    /// 64 lowercase hex.
    public var pubkey: String
    /// ws(s) relay URLs where invites for this contact are delivered (may include their gateway inbox).
    public var relays: [String]
    public var transport: InviteTransport
    public var createdAt: Int64
    public var updatedAt: Int64

    /// The public key as NIP-19 `npub`.
    public var npub: String { NostrKey.npub(fromHex: pubkey) ?? "" }
}

/// A contact to add, already checked by `ContactRules`.
public struct ContactDraft: Sendable, Hashable {
    public var name: String
    public var pubkey: String
    public var relays: [String]
    public var transport: InviteTransport

    /// Checks and cleans raw input (as typed or sent): throws `.invalidContact` naming what is wrong.
    public init(name: String, pubkey: String, relays: [String] = [], transport: String? = nil) throws(OwnerError) {
        self.name = try ContactRules.name(name)
        self.pubkey = try ContactRules.pubkey(pubkey)
        self.relays = try ContactRules.relays(relays)
        self.transport = try ContactRules.transport(transport)
    }
}

/// Changes to a contact; nil fields stay as they are. Values are checked on construction.
public struct ContactChanges: Sendable, Hashable {
    public var name: String?
    public var pubkey: String?
    public var relays: [String]?
    public var transport: InviteTransport?

    public init(name: String? = nil, pubkey: String? = nil, relays: [String]? = nil, transport: String? = nil) throws(OwnerError) {
        self.name = try name.map { raw throws(OwnerError) in try ContactRules.name(raw) }
        self.pubkey = try pubkey.map { raw throws(OwnerError) in try ContactRules.pubkey(raw) }
        self.relays = try relays.map { raw throws(OwnerError) in try ContactRules.relays(raw) }
        self.transport = try transport.map { raw throws(OwnerError) in try ContactRules.transport(raw) }
    }
}

/// What a contact may contain.
public enum ContactRules {
    public static let maxName = TextRules.maxDisplayName
    public static let maxRelays = 16

    /// 1 to 64 characters after the display-name clean-up (control and bidi characters removed, white
    /// space folded). Markup is kept as text; every renderer escapes it.
    public static func name(_ raw: String) throws(OwnerError) -> String {
        let cleaned = TextRules.clean(raw, limit: maxName + 1)
        guard !cleaned.isEmpty else { throw .invalidContact("name must not be empty") }
        guard cleaned.count <= maxName else { throw .invalidContact("name is longer than \(maxName) characters") }
        return cleaned
    }

    /// 64 hex characters or an `npub` (checksum verified); returned as lowercase hex.
    public static func pubkey(_ raw: String) throws(OwnerError) -> String {
        guard raw.utf8.count <= 200, let hex = NostrKey.publicKeyHex(raw) else {
            throw .invalidContact("pubkey must be 64 hex characters or an npub")
        }
        return hex
    }

    /// At most 16 relay URLs: `wss://` to any host, `ws://` only to loopback or tailnet hosts (the same
    /// host rules as join links). Duplicates are dropped, order kept.
    public static func relays(_ raw: [String]) throws(OwnerError) -> [String] {
        guard raw.count <= maxRelays else { throw .invalidContact("at most \(maxRelays) relays") }
        var seen = Set<String>()
        var relays: [String] = []
        for entry in raw {
            let relay = entry.trimmingCharacters(in: .whitespaces)
            guard isRelayURL(relay) else {
                throw .invalidContact("relay URLs must be wss:// (or ws:// to a loopback or tailnet host)")
            }
            if seen.insert(relay.lowercased()).inserted { relays.append(relay) }
        }
        return relays
    }

    /// `nip17` (default) or `crow`.
    public static func transport(_ raw: String?) throws(OwnerError) -> InviteTransport {
        guard let raw else { return .nip17 }
        guard let transport = InviteTransport(rawValue: raw) else {
            throw .invalidContact("transport must be nip17 or crow")
        }
        return transport
    }

    static func isRelayURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        let web: String
        if lower.hasPrefix("wss://") {
            web = "https://" + text.dropFirst(6)
        } else if lower.hasPrefix("ws://") {
            web = "http://" + text.dropFirst(5)
        } else {
            return false
        }
        guard TextRules.isSafeJoinURL(web), let url = URL(string: text), url.host?.isEmpty == false else { return false }
        return !text.contains("#")
    }
}

extension OwnerStore {
    /// Every contact, by name.
    public func contacts() async throws(OwnerError) -> [ContactRecord] {
        try await ownerRead { db in
            try Row.fetchAll(db, sql: "SELECT * FROM contacts ORDER BY name COLLATE NOCASE, contact_id").map(Self.contact)
        }
    }

    public func contact(id: String) async throws(OwnerError) -> ContactRecord? {
        try await ownerRead { db in try Self.contact(id: id, in: db) }
    }

    /// The contact with this public key (hex), if any: how an incoming invite is matched to a name.
    public func contact(pubkey: String) async throws(OwnerError) -> ContactRecord? {
        try await ownerRead { db in
            try Row.fetchOne(db, sql: "SELECT * FROM contacts WHERE pubkey = ?", arguments: [pubkey]).map(Self.contact)
        }
    }

    /// Adds a contact; `.contactExists` when another contact has the same public key.
    public func addContact(_ draft: ContactDraft) async throws(OwnerError) -> ContactRecord {
        let now = clock()
        return try await ownerWrite { db in
            if try Self.contactID(pubkey: draft.pubkey, in: db) != nil { throw OwnerError.contactExists }
            let record = ContactRecord(
                id: Secrets.identifier(),
                name: draft.name,
                pubkey: draft.pubkey,
                relays: draft.relays,
                transport: draft.transport,
                createdAt: now,
                updatedAt: now
            )
            try db.execute(
                sql: """
                    INSERT INTO contacts (contact_id, name, pubkey, relays, transport, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.id, record.name, record.pubkey, Self.relaysJSON(record.relays), record.transport.rawValue, now, now,
                ]
            )
            return record
        }
    }

    /// Applies `changes`; `.contactNotFound` or `.contactExists` (the new key belongs to another contact).
    public func updateContact(id: String, _ changes: ContactChanges) async throws(OwnerError) -> ContactRecord {
        let now = clock()
        return try await ownerWrite { db in
            guard var record = try Self.contact(id: id, in: db) else { throw OwnerError.contactNotFound }
            if let pubkey = changes.pubkey, pubkey != record.pubkey {
                if try Self.contactID(pubkey: pubkey, in: db) != nil { throw OwnerError.contactExists }
                record.pubkey = pubkey
            }
            if let name = changes.name { record.name = name }
            if let relays = changes.relays { record.relays = relays }
            if let transport = changes.transport { record.transport = transport }
            record.updatedAt = now
            try db.execute(
                sql: "UPDATE contacts SET name = ?, pubkey = ?, relays = ?, transport = ?, updated_at = ? WHERE contact_id = ?",
                arguments: [record.name, record.pubkey, Self.relaysJSON(record.relays), record.transport.rawValue, now, id]
            )
            return record
        }
    }

    /// Deletes a contact; `.contactNotFound` when there is none with this id.
    public func deleteContact(id: String) async throws(OwnerError) {
        try await ownerWrite { db in
            try db.execute(sql: "DELETE FROM contacts WHERE contact_id = ?", arguments: [id])
            if db.changesCount == 0 { throw OwnerError.contactNotFound }
        }
    }

    // MARK: - Rows

    static func contact(id: String, in db: Database) throws -> ContactRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM contacts WHERE contact_id = ?", arguments: [id]).map(contact)
    }

    static func contactID(pubkey: String, in db: Database) throws -> String? {
        try String.fetchOne(db, sql: "SELECT contact_id FROM contacts WHERE pubkey = ?", arguments: [pubkey])
    }

    static func contact(_ row: Row) -> ContactRecord {
        let relaysText: String = row["relays"]
        let relays = (try? JSONDecoder().decode([String].self, from: Data(relaysText.utf8))) ?? []
        return ContactRecord(
            id: row["contact_id"],
            name: row["name"],
            pubkey: row["pubkey"],
            relays: relays,
            transport: InviteTransport(rawValue: row["transport"]) ?? .nip17,
            createdAt: row["created_at"],
            updatedAt: row["updated_at"]
        )
    }

    static func relaysJSON(_ relays: [String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(relays)) ?? Data("[]".utf8), as: UTF8.self)
    }
}
