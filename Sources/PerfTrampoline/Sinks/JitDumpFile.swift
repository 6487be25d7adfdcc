/// The jitdump of this process, `<dir>/jit-<pid>.dump` (perf's jitdump-specification.txt).
///
/// A 40-byte header, then for every trampoline a `JIT_CODE_UNWINDING_INFO` record (its
/// `.eh_frame`) immediately followed by its `JIT_CODE_LOAD` (name and code bytes). A new file
/// gets its header and the records of every stub the process already has before anyone sees it
/// (written aside, then renamed into place); each later stub's records are one `write(2)`, before the
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
        var trimmed = directory.utf8[...]
        while trimmed.count > 1 && trimmed.last == UInt8(ascii: "/") { trimmed = trimmed.dropLast() }
        guard !trimmed.elementsEqual("/tmp".utf8) else { return nil }
        return "jitdump directory \"\(directory.escapingLineBreakers)\": perf built with libdw unwinding (perf 7) "
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

    /// A new dump of `processID`, claimed, being written aside (see ``PerfMapFile/beginCreate(processID:directory:)``).
    static func beginCreate(processID: Int32, directory: String = directory) throws(OwnedFile.Refusal) -> OwnedFile.Creation {
        try OwnedFile.beginCreate(path(forProcess: processID, in: directory), access: .readAppend)
    }

    /// The dump being made by `creation`: its header now, its records by ``SymbolSink/catchUp(with:limit:)``.
    init(creating creation: OwnedFile.Creation, processID: Int32, frame: FrameDescription) throws(OwnedFile.Refusal) {
        let records = JitDumpRecords(frame: frame, processID: processID)
        let header = records.header(timestamp: System.monotonicNanoseconds())
        self.records = records
        super.init(file: creation.file, writtenCount: 0)
        do {
            try creation.file.append(header)
        } catch {
            creation.abandon()
            throw OwnedFile.Refusal(description: "\(error)", underlying: error)
        }
    }

    /// Creates and claims the dump of `processID`, holding the records of every stub in `registry`.
    convenience init(processID: Int32, frame: FrameDescription, registry: borrowing SymbolRegistry,
                     directory: String = directory) throws(OwnedFile.Refusal) {
        let creation = try Self.beginCreate(processID: processID, directory: directory)
        try self.init(creating: creation, processID: processID, frame: frame)
        try complete(creation, with: registry)
    }

    /// One page of the file mapped `PROT_READ|PROT_EXEC`, once it has its final name: the mmap
    /// perf record logs, by which perf inject finds the dump.
    override func didPlace() throws(OwnedFile.Refusal) {
        do {
            marker = try System.mapMarker(file.descriptor, path: file.path)
        } catch {
            System.unlink(file.path)
            throw OwnedFile.Refusal(description: "\(error) (the marker perf record looks for)", underlying: error)
        }
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
