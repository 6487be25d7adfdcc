/// Makes a symbol name safe for every perf-map and jitdump reader.
///
/// perf parses the map line by line and samply splits on single spaces and reads UTF-8, so a
/// name must never contain a line break or other control character, must be valid UTF-8, and
/// must not be empty; jitdump names are NUL-terminated, so NUL must go too. Long names are cut
/// (at a character boundary) so one hostile name cannot produce a megabyte line.
enum SymbolName {
    /// Longest name, in bytes, that is written. Longer names end in "…".
    static let maximumLength = 4096
    /// What a control character (newline, CR, tab, NUL, DEL, C1) becomes.
    static let replacement: UInt8 = UInt8(ascii: "?")

    /// The sanitised UTF-8 bytes of `name`.
    static func sanitized(_ name: String) -> [UInt8] {
        // Fast path, the usual case: printable ASCII of a sane length is already safe.
        // Native strings are contiguous UTF-8: checked and copied as one buffer (issue 17: the
        // byte-by-byte String.UTF8View walk cost 850 instructions for a 40-byte name).
        let utf8 = name.utf8
        let fast = utf8.withContiguousStorageIfAvailable { bytes -> [UInt8]? in
            guard !bytes.isEmpty, bytes.count <= maximumLength else { return nil }
            for byte in bytes where byte < 0x20 || byte >= 0x7F { return nil }
            return Array(bytes)
        }
        if let fast, let fast { return fast }
        return sanitized(utf8: Array(utf8))  // also right for the rare non-contiguous string
    }

    /// The sanitised form of arbitrary bytes (invalid UTF-8 becomes U+FFFD first).
    static func sanitized(utf8 bytes: some Collection<UInt8>) -> [UInt8] {
        let valid = String(decoding: bytes, as: UTF8.self)
        var result: [UInt8] = []
        result.reserveCapacity(min(valid.utf8.count, maximumLength))
        let ellipsis: [UInt8] = [0xE2, 0x80, 0xA6]
        for scalar in valid.unicodeScalars {
            let value = scalar.value
            let isControl = value < 0x20 || (value >= 0x7F && value < 0xA0)
                || value == 0x2028 || value == 0x2029
            let length = isControl ? 1 : scalar.utf8.count
            if result.count + length > maximumLength - ellipsis.count {
                result += ellipsis
                return result
            }
            if isControl { result.append(replacement) } else { result += scalar.utf8 }
        }
        if result.isEmpty { result = Array("<anonymous>".utf8) }
        return result
    }
}
