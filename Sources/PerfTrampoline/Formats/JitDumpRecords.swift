/// jitdump records (perf's jitdump-specification.txt), encoded into bytes. Pure apart from the
/// timestamp and thread id it stamps: tested byte for byte without files (JitDumpFormatTests).
///
/// For every trampoline a `JIT_CODE_UNWINDING_INFO` record (its `.eh_frame`) immediately
/// followed by its `JIT_CODE_LOAD` (name and code bytes). Other generators' entries get no
/// records: their code may be gone, so its bytes cannot be copied.
struct JitDumpRecords {
    static let magic: UInt32 = 0x4A69_5444
    static let headerSize = 40
    enum RecordType: UInt32 {
        case codeLoad = 0
        case unwindingInfo = 4
    }

    let frame: FrameDescription
    let processID: Int32
    private var codeIndex: UInt64 = 1
    /// The unwind data depends only on the code size, which is the same for every stub of a
    /// template: built once.
    private var unwindCache: (codeSize: Int, bytes: [UInt8])?

    init(frame: FrameDescription, processID: Int32) {
        self.frame = frame
        self.processID = processID
    }

    /// The 40-byte file header.
    func header(timestamp: UInt64) -> [UInt8] {
        var header: [UInt8] = []
        header.appendLittleEndian(Self.magic)
        header.appendLittleEndian(UInt32(1))  // version
        header.appendLittleEndian(UInt32(Self.headerSize))
        header.appendLittleEndian(frame.elfMachine)
        header.appendLittleEndian(UInt32(0))  // pad
        header.appendLittleEndian(UInt32(bitPattern: processID))
        header.appendLittleEndian(timestamp)
        header.appendLittleEndian(UInt64(0))  // flags: timestamps are not TSC
        return header
    }

    mutating func append(_ entry: SymbolRegistry.Entry, to buffer: inout [UInt8]) {
        guard entry.origin == .stub else { return }
        let codeSize = Int(entry.size)
        let timestamp = System.monotonicNanoseconds()
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
        buffer.appendLittleEndian(UInt32(bitPattern: processID))
        buffer.appendLittleEndian(System.threadID())
        buffer.appendLittleEndian(UInt64(entry.address))  // vma
        buffer.appendLittleEndian(UInt64(entry.address))  // code_addr
        buffer.appendLittleEndian(UInt64(codeSize))
        buffer.appendLittleEndian(codeIndex)
        codeIndex += 1
        buffer += name
        buffer.append(0)
        buffer += UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: entry.address), count: codeSize)
    }

    private func appendRecordHeader(_ type: RecordType, payload: Int, timestamp: UInt64, to buffer: inout [UInt8]) {
        buffer.appendLittleEndian(type.rawValue)
        buffer.appendLittleEndian(UInt32(16 + payload))
        buffer.appendLittleEndian(timestamp)
    }

}
