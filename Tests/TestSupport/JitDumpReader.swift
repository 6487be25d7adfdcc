import Foundation

/// An independent reader of jitdump files (perf's jitdump-specification.txt), for tests: it
/// checks the structure a writer must get right and returns the records.
public struct JitDumpReader {
    public struct Header {
        public let magic: UInt32
        public let version: UInt32
        public let totalSize: UInt32
        public let elfMachine: UInt32
        public let pid: UInt32
        public let timestamp: UInt64
        public let flags: UInt64
    }

    public struct Unwind {
        public let unwindingSize: UInt64
        public let ehFrameHeaderSize: UInt64
        public let mappedSize: UInt64
        public let data: [UInt8]
    }

    public struct Load {
        /// The record header's timestamp.
        public let timestamp: UInt64
        public let pid: UInt32
        public let tid: UInt32
        public let vma: UInt64
        public let codeAddress: UInt64
        public let codeSize: UInt64
        public let codeIndex: UInt64
        public let name: String
        public let code: [UInt8]
        /// The UNWINDING_INFO record right before this LOAD, if there was one.
        public let unwind: Unwind?
    }

    public struct FormatError: Error, CustomStringConvertible {
        public let description: String
    }

    public let header: Header
    public let loads: [Load]
    public let recordCount: Int

    public init(path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        try self.init(bytes: bytes)
    }

    public init(bytes: [UInt8]) throws {
        func u32(_ at: Int) -> UInt32 { bytes[at..<at + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        func u64(_ at: Int) -> UInt64 { bytes[at..<at + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        guard bytes.count >= 40 else { throw FormatError(description: "file shorter than the 40-byte header") }
        header = Header(magic: u32(0), version: u32(4), totalSize: u32(8), elfMachine: u32(12), pid: u32(20),
                        timestamp: u64(24), flags: u64(32))
        guard header.magic == 0x4A69_5444 else { throw FormatError(description: "bad magic") }
        var offset = Int(header.totalSize)
        var loads: [Load] = []
        var pendingUnwind: Unwind?
        var count = 0
        while offset < bytes.count {
            guard offset + 16 <= bytes.count else { throw FormatError(description: "truncated record header at \(offset)") }
            let id = u32(offset)
            let size = Int(u32(offset + 4))
            guard size >= 16, offset + size <= bytes.count else {
                throw FormatError(description: "record at \(offset) has size \(size), outside the file")
            }
            count += 1
            switch id {
            case 4:
                let unwindingSize = u64(offset + 16)
                let data = Array(bytes[(offset + 40)..<(offset + size)])
                guard Int(unwindingSize) <= data.count else { throw FormatError(description: "unwind data larger than its record") }
                pendingUnwind = Unwind(unwindingSize: unwindingSize, ehFrameHeaderSize: u64(offset + 24),
                                       mappedSize: u64(offset + 32), data: Array(data.prefix(Int(unwindingSize))))
            case 0:
                let codeSize = Int(u64(offset + 40))
                let nameStart = offset + 56
                guard let nul = bytes[nameStart..<(offset + size)].firstIndex(of: 0) else {
                    throw FormatError(description: "LOAD at \(offset) has no NUL-terminated name")
                }
                guard nul + 1 + codeSize == offset + size else {
                    throw FormatError(description: "LOAD at \(offset): code bytes do not fill the record's end")
                }
                loads.append(Load(timestamp: u64(offset + 8), pid: u32(offset + 16), tid: u32(offset + 20), vma: u64(offset + 24),
                                  codeAddress: u64(offset + 32), codeSize: UInt64(codeSize), codeIndex: u64(offset + 48),
                                  name: String(decoding: bytes[nameStart..<nul], as: UTF8.self),
                                  code: Array(bytes[(nul + 1)..<(offset + size)]), unwind: pendingUnwind))
                pendingUnwind = nil
            default:
                pendingUnwind = nil
            }
            offset += size
        }
        self.loads = loads
        recordCount = count
    }

    /// Checks the `.eh_frame` + `.eh_frame_hdr` of one record; returns the problems found.
    public static func problems(in unwind: Unwind, codeSize: Int) -> [String] {
        var problems: [String] = []
        let data = unwind.data
        func u32(_ at: Int) -> UInt32 { data[at..<at + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        func s32(_ at: Int) -> Int { Int(Int32(bitPattern: u32(at))) }
        let headerSize = Int(unwind.ehFrameHeaderSize)
        guard headerSize == 20, data.count > headerSize + 16 else { return ["eh_frame_hdr size \(headerSize)"] }
        let tableSize = data.count - headerSize
        let cieLength = Int(u32(0))
        if u32(4) != 0 { problems.append("first entry is not a CIE") }
        if data[8] != 1 { problems.append("CIE version \(data[8]), expected 1") }
        if Array(data[9..<12]) != Array("zR\0".utf8) { problems.append("CIE augmentation is not \"zR\"") }
        let fde = 4 + cieLength
        let fdeLength = Int(u32(fde))
        if fde + 4 + fdeLength + 4 != tableSize && fde + 4 + fdeLength != tableSize {
            problems.append("CIE + FDE do not fill the eh_frame (\(fde + 4 + fdeLength) of \(tableSize))")
        }
        if Int(u32(fde + 4)) != fde + 4 { problems.append("FDE does not point back at the CIE") }
        let aligned = (codeSize + 7) & ~7
        // pc_begin is pc-relative to its own field; the text ends align8(codeSize) before the eh_frame.
        if s32(fde + 8) != -(aligned + fde + 8) { problems.append("FDE pc_begin \(s32(fde + 8)) does not reach the code") }
        if Int(u32(fde + 12)) != codeSize { problems.append("FDE range \(u32(fde + 12)) != code size \(codeSize)") }
        let h = tableSize
        if Array(data[h..<h + 4]) != [1, 0x1B, 0x03, 0x3B] { problems.append("eh_frame_hdr encodings") }
        if s32(h + 4) != -(tableSize + 4) { problems.append("eh_frame_ptr does not point at the eh_frame") }
        if u32(h + 8) != 1 { problems.append("fde_count \(u32(h + 8))") }
        if s32(h + 12) != -(aligned + tableSize) { problems.append("search table initial location") }
        if s32(h + 16) != fde - tableSize { problems.append("search table FDE address") }
        return problems
    }
}
