/// The perf map of this process, `/tmp/perf-<pid>.map`.
///
/// Format (perf's `jit-interface.txt`, and samply's parser): one line per symbol,
/// `START SIZE NAME\n`, START and SIZE in lowercase hex without `0x`, single spaces, every
/// line newline-terminated, size never zero. A new file receives the entries the process
/// already has all at once (written aside, then renamed into place); later entries are
/// appended with one `write(2)` each on an `O_APPEND` descriptor, before the code they name
/// can run.
final class PerfMapFile: SymbolSink {
    let file: SymbolFile
    var writtenCount = 0
    var buffer: [UInt8] = []

    /// perf looks only in /tmp; `TMPDIR` is deliberately not consulted.
    static func path(forProcess pid: Int32, in directory: String = "/tmp") -> String {
        "\(directory)/perf-\(pid).map"
    }

    /// Creates and claims the map of `processID`, holding every entry of `registry`.
    init(processID: Int32, registry: SymbolRegistry, directory: String = "/tmp") throws(OwnedFile.Refusal) {
        var lines: [UInt8] = []
        for index in 0..<registry.count { Self.encode(registry[index], into: &lines) }
        file = try OwnedFile.create(Self.path(forProcess: processID, in: directory),
                                    extraFlags: O_WRONLY | O_APPEND, initialContent: lines)
        writtenCount = registry.count
    }

    func encode(_ entry: SymbolRegistry.Entry, into buffer: inout [UInt8]) {
        Self.encode(entry, into: &buffer)
    }

    static func encode(_ entry: SymbolRegistry.Entry, into buffer: inout [UInt8]) {
        appendLine(address: entry.address, size: entry.size, name: entry.name, to: &buffer)
    }

    /// Appends `START SIZE NAME\n` to `buffer`.
    static func appendLine(address: UInt, size: UInt, name: some Collection<UInt8>, to buffer: inout [UInt8]) {
        appendHex(address, to: &buffer)
        buffer.append(UInt8(ascii: " "))
        appendHex(size, to: &buffer)
        buffer.append(UInt8(ascii: " "))
        buffer += name
        buffer.append(UInt8(ascii: "\n"))
    }

    static func appendHex(_ value: UInt, to buffer: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        var shift = (UInt.bitWidth - max(value.leadingZeroBitCount, 0) + 3) / 4 * 4
        if shift == 0 { buffer.append(UInt8(ascii: "0")); return }
        digits.withUTF8Buffer { table in
            while shift > 0 {
                shift -= 4
                buffer.append(table[Int((value >> UInt(shift)) & 0xF)])
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
