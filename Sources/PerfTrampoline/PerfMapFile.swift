/// The perf map of this process, `/tmp/perf-<pid>.map`.
///
/// Format (perf's `jit-interface.txt`, and samply's parser): one line per symbol,
/// `START SIZE NAME\n`, START and SIZE in lowercase hex without `0x`, single spaces, every
/// line newline-terminated, size never zero. Entries are appended with one `write(2)` each on
/// an `O_APPEND` descriptor, before the code they name can run, so a crash loses nothing.
final class PerfMapFile {
    let path: String
    private let fd: Int32
    /// How many registry entries this file already holds.
    private(set) var writtenCount = 0
    /// Reused between calls, so naming a stub allocates nothing here.
    private var buffer: [UInt8] = []

    /// perf looks only here; `TMPDIR` is deliberately not consulted.
    static func path(forProcess pid: Int32) -> String { "/tmp/perf-\(pid).map" }

    init(processID: Int32) throws(OwnedFile.Refusal) {
        path = Self.path(forProcess: processID)
        fd = try OwnedFile.open(path, extraFlags: O_WRONLY | O_APPEND)
    }

    deinit { System.close(fd) }

    /// Appends every registry entry this file does not hold yet. Lines are batched into writes
    /// of at most 1 MiB; a single new entry is exactly one `write(2)`.
    func catchUp(with registry: SymbolRegistry) throws(SystemCallError) {
        buffer.removeAll(keepingCapacity: true)
        while writtenCount < registry.count {
            let entry = registry[writtenCount]
            Self.appendLine(address: entry.address, size: entry.size, name: entry.name, to: &buffer)
            writtenCount += 1
            if buffer.count >= 1 << 20 || writtenCount == registry.count {
                try flush()
            }
        }
    }

    private func flush() throws(SystemCallError) {
        let path = self.path
        let fd = self.fd
        let result: Result<Void, SystemCallError> = buffer.withUnsafeBytes { bytes in
            Result { () throws(SystemCallError) in try System.writeAll(fd, bytes, path: path) }
        }
        buffer.removeAll(keepingCapacity: true)
        try result.get()
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
