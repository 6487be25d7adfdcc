#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
    let file: SymbolFile
    var writtenCount = 0
    var buffer: [UInt8] = []
    private var marker: UnsafeMutableRawPointer?
    private let frame: FrameDescription
    private var nextCodeIndex: UInt64 = 1
    /// The unwind data depends only on the code size, which is the same for every stub of a
    /// template: built once.
    private var unwindCache: (codeSize: Int, bytes: [UInt8])?

    static let magic: UInt32 = 0x4A69_5444
    static let headerSize = 40
    enum RecordType: UInt32 {
        case codeLoad = 0
        case unwindingInfo = 4
    }

    /// The directory for dumps: `PERFTRAMPOLINE_JITDUMP_DIR` if set, else /tmp. perf inject
    /// writes its `jitted-<pid>-<n>.so` files next to the dump.
    static var directory: String {
        if let raw = getenv("PERFTRAMPOLINE_JITDUMP_DIR"), raw.pointee != 0 { return String(cString: raw) }
        return "/tmp"
    }

    static func path(forProcess pid: Int32, in directory: String = directory) -> String {
        "\(directory)/jit-\(pid).dump"
    }

    /// Creates and claims the dump of `processID`, holding the records of every stub in `registry`.
    init(processID: Int32, frame: FrameDescription, registry: SymbolRegistry, directory: String = directory)
        throws(OwnedFile.Refusal) {
        self.frame = frame
        var content: [UInt8] = []
        content.appendLittleEndian(Self.magic)
        content.appendLittleEndian(UInt32(1))  // version
        content.appendLittleEndian(UInt32(Self.headerSize))
        content.appendLittleEndian(frame.elfMachine)
        content.appendLittleEndian(UInt32(0))  // pad
        content.appendLittleEndian(UInt32(bitPattern: processID))
        content.appendLittleEndian(JitDumpClock.now())
        content.appendLittleEndian(UInt64(0))  // flags: timestamps are not TSC
        // `self` is not usable before every stored property is set: encode with a scratch copy
        // of the per-file state, then adopt it.
        var codeIndex: UInt64 = 1
        var cache: (codeSize: Int, bytes: [UInt8])?
        for index in 0..<registry.count {
            Self.appendRecords(for: registry[index], frame: frame, codeIndex: &codeIndex, unwindCache: &cache, to: &content)
        }
        file = try OwnedFile.create(Self.path(forProcess: processID, in: directory), extraFlags: O_RDWR | O_APPEND,
                                    initialContent: content)
        writtenCount = registry.count
        nextCodeIndex = codeIndex
        unwindCache = cache
        #if os(Linux)
        let mapped = mmap(nil, System.pageSize, PROT_READ | PROT_EXEC, MAP_PRIVATE, file.descriptor, 0)
        guard let mapped, mapped != MAP_FAILED else {
            let error = SystemCallError(call: "mmap", subject: "of \(file.path) (the marker perf record looks for)", code: errno)
            System.unlink(file.path)
            throw OwnedFile.Refusal(description: "\(error)", underlying: error)
        }
        marker = mapped
        #endif
    }

    deinit {
        if let marker { System.unmap(marker, System.pageSize) }
    }

    /// Only trampolines get records: other generators' code may be gone, so its bytes cannot
    /// be copied.
    func encode(_ entry: SymbolRegistry.Entry, into buffer: inout [UInt8]) {
        Self.appendRecords(for: entry, frame: frame, codeIndex: &nextCodeIndex, unwindCache: &unwindCache, to: &buffer)
    }

    static func appendRecords(for entry: SymbolRegistry.Entry, frame: FrameDescription, codeIndex: inout UInt64,
                                      unwindCache: inout (codeSize: Int, bytes: [UInt8])?, to buffer: inout [UInt8]) {
        guard entry.origin == .stub else { return }
        let codeSize = Int(entry.size)
        let timestamp = JitDumpClock.now()
        let unwindBytes: [UInt8]
        if let cached = unwindCache, cached.codeSize == codeSize {
            unwindBytes = cached.bytes
        } else {
            unwindBytes = EhFrame(description: frame, codeSize: codeSize).bytes
            unwindCache = (codeSize, unwindBytes)
        }
        // perf maps [address, address + align8(size) + mapped_size): only claim the room the
        // arena really left after this stub, or the mapping would cover the next stub's code.
        let needed = (unwindBytes.count + 15) & ~15
        let mappedSize = needed <= Int(entry.unwindRoom) ? needed : 0
        var unwindData = unwindBytes
        while unwindData.count % 8 != 0 { unwindData.append(0) }
        appendRecordHeader(.unwindingInfo, payload: 24 + unwindData.count, timestamp: timestamp, to: &buffer)
        buffer.appendLittleEndian(UInt64(unwindBytes.count))
        buffer.appendLittleEndian(UInt64(EhFrame.headerSize))
        buffer.appendLittleEndian(UInt64(mappedSize))
        buffer += unwindData

        let name = entry.name
        appendRecordHeader(.codeLoad, payload: 40 + name.count + 1 + codeSize, timestamp: timestamp, to: &buffer)
        buffer.appendLittleEndian(UInt32(bitPattern: System.processID))
        buffer.appendLittleEndian(JitDumpClock.threadID())
        buffer.appendLittleEndian(UInt64(entry.address))  // vma
        buffer.appendLittleEndian(UInt64(entry.address))  // code_addr
        buffer.appendLittleEndian(UInt64(codeSize))
        buffer.appendLittleEndian(codeIndex)
        codeIndex += 1
        buffer += name
        buffer.append(0)
        buffer += UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: entry.address), count: codeSize)
    }

    private static func appendRecordHeader(_ type: RecordType, payload: Int, timestamp: UInt64, to buffer: inout [UInt8]) {
        buffer.appendLittleEndian(type.rawValue)
        buffer.appendLittleEndian(UInt32(16 + payload))
        buffer.appendLittleEndian(timestamp)
    }

}

