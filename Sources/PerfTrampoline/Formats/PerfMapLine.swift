/// One perf-map line, `START SIZE NAME\n` (perf's `jit-interface.txt`, and samply's parser):
/// START and SIZE in lowercase hex without `0x`, single spaces, newline-terminated. Names come
/// sanitised (``SymbolName``), so a line is always exactly one line. Pure: no I/O.
enum PerfMapLine {
    static func append(_ entry: SymbolRegistry.Entry, to buffer: inout [UInt8]) {
        append(address: entry.address, size: entry.size, name: entry.name, to: &buffer)
    }

    /// Appends `START SIZE NAME\n` to `buffer`.
    static func append(address: UInt, size: UInt, name: some Collection<UInt8>, to buffer: inout [UInt8]) {
        appendHex(address, to: &buffer)
        buffer.append(UInt8(ascii: " "))
        appendHex(size, to: &buffer)
        buffer.append(UInt8(ascii: " "))
        buffer += name
        buffer.append(UInt8(ascii: "\n"))
    }

    static func appendHex(_ value: UInt, to buffer: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        var shift = (UInt.bitWidth - value.leadingZeroBitCount + 3) / 4 * 4
        if shift == 0 { buffer.append(UInt8(ascii: "0")); return }
        digits.withUTF8Buffer { table in
            while shift > 0 {
                shift -= 4
                buffer.append(table[Int((value >> UInt(shift)) & 0xF)])
            }
        }
    }
}
