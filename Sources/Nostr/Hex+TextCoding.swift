public import TextCoding

/// Lowercase hex (`TextCoding.Hex`), under the name Nostr's users already know.
public typealias Hex = TextCoding.Hex
