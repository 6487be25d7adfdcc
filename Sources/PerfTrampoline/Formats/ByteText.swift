/// Text the core compares, cuts and escapes as UTF-8 bytes, never as Unicode characters.
///
/// Everything the library reads as text is an ASCII word (a mode, a signal, a flag, an
/// environment variable's name, a /proc field) or an uninterpreted byte string (a path, an
/// environment variable's value), for which byte equality is the right equality: two paths
/// that differ only in Unicode normalization name two files. Swift's `String` `==`, hashing,
/// `switch`, `lowercased()`, `hasPrefix`, `dropFirst` and `debugDescription` are
/// Unicode-aware (canonical equivalence, grapheme clusters). In the Embedded C library they
/// pulled in the stdlib's Unicode data tables: 52 KB of tables, 104 load-time relocations and
/// the normalization code (issue 26). The core uses these instead, and the Embedded link
/// (`Scripts/install/build-embedded.sh`) leaves the tables out, so a Unicode-aware operation
/// added to the core fails that link.
extension String {
    /// Whether the two strings are the same bytes.
    func sameBytes(as other: String) -> Bool { utf8.elementsEqual(other.utf8) }

    /// Whether the string's bytes start with `prefix`'s.
    func startsWithBytes(_ prefix: String) -> Bool { utf8.starts(with: prefix.utf8) }

    /// The string without its first `count` bytes (which must end a character: ASCII here).
    func droppingBytes(_ count: Int) -> String { String(decoding: utf8.dropFirst(count), as: UTF8.self) }

    /// ASCII letters in lower case, every other byte as it is.
    var asciiLowercased: String { String(decoding: utf8.map { $0 &- 0x41 < 26 ? $0 | 0x20 : $0 }, as: UTF8.self) }

    /// ASCII letters in upper case, every other byte as it is.
    var asciiUppercased: String { String(decoding: utf8.map { $0 &- 0x61 < 26 ? $0 & ~0x20 : $0 }, as: UTF8.self) }

    /// The string with what would break a line escaped the way Swift writes it (`\n`, `\t`,
    /// `\r`, `\0`, `\u{1B}`; C1 controls and U+2028/U+2029 too, and `\` and `"` so that the
    /// result reads back unambiguously), or the string itself if it has none of them.
    var escapingLineBreakers: String {
        func breaksLine(_ value: UInt32) -> Bool { value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029 }
        guard unicodeScalars.contains(where: { breaksLine($0.value) }) else { return self }
        var escaped = ""
        for scalar in unicodeScalars {
            switch scalar.value {
            case 0x0A: escaped += "\\n"
            case 0x09: escaped += "\\t"
            case 0x0D: escaped += "\\r"
            case 0x00: escaped += "\\0"
            case 0x5C: escaped += "\\\\"
            case 0x22: escaped += "\\\""
            case let value where breaksLine(value): escaped += "\\u{\(String(value, radix: 16, uppercase: true))}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}

extension Dictionary where Key == String, Value == String {
    /// The value of the variable named `name` (bytes compared; no hashing of the keys).
    func value(of name: String) -> String? { first(where: { $0.key.sameBytes(as: name) })?.value }
}

extension CaseIterable where Self: RawRepresentable, RawValue == String {
    /// The case whose raw value is the bytes of `rawValue` (what the public enums' `init?(rawValue:)`
    /// use instead of the synthesized one, a Unicode-aware `switch`).
    static func matching(rawValue: String) -> Self? { allCases.first { $0.rawValue.sameBytes(as: rawValue) } }
}
