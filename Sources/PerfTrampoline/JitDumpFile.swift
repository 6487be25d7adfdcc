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
/// `.eh_frame`) immediately followed by its `JIT_CODE_LOAD` (name and code bytes), written with
/// one `write(2)` before the trampoline first runs. On Linux one page of the file is mapped
/// `PROT_READ|PROT_EXEC` so that `perf record` logs the mmap and `perf inject --jit` finds the
/// dump. On macOS the file is opened with libc `open`, which samply's preload intercepts.
final class JitDumpFile {
    let path: String
    private let fd: Int32
    private var marker: UnsafeMutableRawPointer?
    private let frame: FrameDescription
    private(set) var writtenCount = 0
    private var nextCodeIndex: UInt64 = 1
    /// The unwind data depends only on the code size, which is the same for every stub of a
    /// template: built once.
    private var unwindCache: (codeSize: Int, bytes: [UInt8])?
    private var buffer: [UInt8] = []

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

    init(processID: Int32, frame: FrameDescription, directory: String = directory) throws(OwnedFile.Refusal) {
        path = Self.path(forProcess: processID, in: directory)
        self.frame = frame
        fd = try OwnedFile.open(path, extraFlags: O_RDWR)
        do {
            var header: [UInt8] = []
            header.appendLittleEndian(Self.magic)
            header.appendLittleEndian(UInt32(1))  // version
            header.appendLittleEndian(UInt32(Self.headerSize))
            header.appendLittleEndian(frame.elfMachine)
            header.appendLittleEndian(UInt32(0))  // pad
            header.appendLittleEndian(UInt32(bitPattern: processID))
            header.appendLittleEndian(JitDumpClock.now())
            header.appendLittleEndian(UInt64(0))  // flags: timestamps are not TSC
            try write(header)
            #if os(Linux)
            let page = System.pageSize
            let mapped = mmap(nil, page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0)
            guard let mapped, mapped != MAP_FAILED else {
                throw SystemCallError(call: "mmap", subject: "of \(path) (the marker perf record looks for)", code: errno)
            }
            marker = mapped
            #endif
        } catch {
            System.close(fd)
            throw OwnedFile.Refusal(description: "\(error)")
        }
    }

    deinit {
        if let marker { System.unmap(marker, System.pageSize) }
        System.close(fd)
    }

    /// Appends records for every registry entry this file does not hold yet. Only trampolines
    /// get records: other generators' code may be gone, so its bytes cannot be copied.
    func catchUp(with registry: SymbolRegistry) throws(SystemCallError) {
        buffer.removeAll(keepingCapacity: true)
        while writtenCount < registry.count {
            let entry = registry[writtenCount]
            writtenCount += 1
            if entry.origin == .stub { appendRecords(for: entry, to: &buffer) }
            if buffer.count >= 1 << 20 || (writtenCount == registry.count && !buffer.isEmpty) {
                try write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
    }

    private func appendRecords(for entry: SymbolRegistry.Entry, to buffer: inout [UInt8]) {
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
        buffer.appendLittleEndian(nextCodeIndex)
        nextCodeIndex += 1
        buffer += name
        buffer.append(0)
        buffer += UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: entry.address), count: codeSize)
    }

    private func appendRecordHeader(_ type: RecordType, payload: Int, timestamp: UInt64, to buffer: inout [UInt8]) {
        buffer.appendLittleEndian(type.rawValue)
        buffer.appendLittleEndian(UInt32(16 + payload))
        buffer.appendLittleEndian(timestamp)
    }

    private func write(_ bytes: [UInt8]) throws(SystemCallError) {
        let fd = self.fd
        let path = self.path
        let result: Result<Void, SystemCallError> = bytes.withUnsafeBytes { raw in
            Result { () throws(SystemCallError) in try System.writeAll(fd, raw, path: path) }
        }
        try result.get()
    }
}

extension JitDumpFile: SymbolSink {}
