/// The jitdump of this process, `<dir>/jit-<pid>.dump` (perf's jitdump-specification.txt).
///
/// A 40-byte header, then for every trampoline a `JIT_CODE_UNWINDING_INFO` record (its
/// `.eh_frame`) immediately followed by its `JIT_CODE_LOAD` (name and code bytes). A new file
/// gets its header and the records of every stub the process already has at once (written
/// aside, then renamed into place); each later stub's records are one `write(2)`, before the
/// stub first runs. On Linux one page of the file is mapped `PROT_READ|PROT_EXEC` so that
/// `perf record` logs the mmap and `perf inject --jit` finds the dump. On macOS the file is
/// opened with libc `open`, which samply's preload intercepts.
final class JitDumpFile: SymbolSink {
    private var marker: UnsafeMutableRawPointer?
    /// Per-file encoder state (code indices, the cached unwind bytes).
    private var records: JitDumpRecords

    /// The directory for dumps: `PERFTRAMPOLINE_JITDUMP_DIR` if set, else /tmp. perf inject
    /// writes its `jitted-<pid>-<n>.so` files next to the dump.
    static var directory: String { Environment.current.jitDumpDirectory }

    /// Why perf may not follow a dump written to `directory`, or nil for /tmp (everywhere but
    /// Linux: nil).
    ///
    /// perf inject writes its `jitted-<pid>-<n>.so` files next to the dump. perf built with
    /// libdw unwinding (perf 7 as Debian sid builds it; libunwind is deprecated upstream) gives
    /// libdw the right load address for such a file only when its path starts with
    /// `/tmp/jitted-` (`tools/perf/util/unwind-libdw.c`); elsewhere the module is placed 128
    /// bytes low, and DWARF call chains stop at the first trampoline. Measured: perf 7.2.13, 0 of
    /// ~190 samples named outside /tmp; perf 6.1 (libunwind) follows any directory.
    static func unwinderCaveat(directory: String) -> String? {
        #if os(Linux) || PERFTRAMPOLINE_LINUX
        var trimmed = Substring(directory)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard trimmed != "/tmp" else { return nil }
        return "jitdump directory \(directory.debugDescription): perf built with libdw unwinding (perf 7) "
            + "unwinds through jitted code only when the dump is in /tmp, so `perf record --call-graph dwarf` chains "
            + "will stop at the trampolines (perf with libunwind, e.g. 6.1, is not affected); unset "
            + "PERFTRAMPOLINE_JITDUMP_DIR to use /tmp"
        #else
        return nil
        #endif
    }

    static func path(forProcess pid: Int32, in directory: String = directory) -> String {
        "\(directory)/jit-\(pid).dump"
    }

    /// Creates and claims the dump of `processID`, holding the records of every stub in `registry`.
    init(processID: Int32, frame: FrameDescription, registry: SymbolRegistry, directory: String = directory)
        throws(OwnedFile.Refusal) {
        var records = JitDumpRecords(frame: frame, processID: processID)
        var content = records.header(timestamp: System.monotonicNanoseconds())
        for index in 0..<registry.count where !registry[index].superseded { records.append(registry[index], to: &content) }
        let file = try OwnedFile.create(Self.path(forProcess: processID, in: directory), access: .readAppend,
                                        initialContent: content)
        self.records = records
        do {
            marker = try System.mapMarker(file.descriptor, path: file.path)
        } catch {
            System.unlink(file.path)
            throw OwnedFile.Refusal(description: "\(error) (the marker perf record looks for)", underlying: error)
        }
        super.init(file: file, writtenCount: registry.count)
    }

    deinit {
        if let marker { System.unmap(marker, System.pageSize) }
    }

    /// Only trampolines get records: other generators' code may be gone, so its bytes cannot
    /// be copied.
    override func encode(_ entry: SymbolRegistry.Entry, into buffer: inout [UInt8]) {
        records.append(entry, to: &buffer)
    }
}
