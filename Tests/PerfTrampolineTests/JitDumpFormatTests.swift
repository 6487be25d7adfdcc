import Foundation
import Testing
import TestSupport
@testable import PerfTrampoline

@Suite struct JitDumpFormatTests {
    let template = StubTemplate.assembly()!

    @Test func frameDescriptionMatchesTheTemplateBytes() throws {
        let frame = try #require(template.frame)
        #expect(frame.matches(template.code))
        #expect(!FrameDescription.x86_64.matches([0x90] + template.code.dropFirst()))
    }

    @Test func jitDumpLayoutLeavesRoomForTheUnwindMapping() throws {
        let unwind = EhFrame(description: template.frame!, codeSize: template.code.count)
        let stride = template.stride(for: .jitDump)
        #expect(stride % 16 == 0)
        #expect(stride >= EhFrame.align8(template.code.count) + ((unwind.bytes.count + 15) & ~15))
        #expect(template.stride(for: .compact) <= 32)
    }

    @Test func fileFollowsTheSpecification() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let fakePid: Int32 = 4_000_000 + Int32.random(in: 0..<100_000)
        let jitArena = CodeArena(template: template, layout: .jitDump)
        let compactArena = CodeArena(template: template, layout: .compact)
        var registry = SymbolRegistry()
        for index in 0..<300 {
            let arena = index % 3 == 0 ? compactArena : jitArena
            let address = try arena.allocate()
            registry.append(address: UInt(bitPattern: address), size: UInt(template.code.count), origin: .stub,
                            unwindRoom: arena.unwindRoom, sanitizedName: SymbolName.sanitized("toy::f\(index):x.toy"))
        }
        registry.append(address: 0x1000, size: 16, origin: .external, sanitizedName: Array("other-jit".utf8))
        let file = try JitDumpFile(processID: fakePid, frame: template.frame!, registry: SymbolRegistry(), directory: dir)
        try file.catchUp(with: registry)
        let dump = try JitDumpReader(path: file.path)
        #expect(dump.header.magic == 0x4A69_5444)
        #expect(dump.header.version == 1)
        #expect(dump.header.totalSize == 40)
        #if arch(x86_64)
        #expect(dump.header.elfMachine == 62)
        #elseif arch(arm64)
        #expect(dump.header.elfMachine == 183)
        #endif
        #expect(dump.header.pid == UInt32(fakePid))
        #expect(dump.header.flags == 0)
        #expect(dump.loads.count == 300, "one LOAD per stub, none for other generators' code")
        #expect(dump.recordCount == 600)
        #expect(Set(dump.loads.map(\.codeIndex)).count == 300)
        for (index, load) in dump.loads.enumerated() {
            let entry = registry[index]
            #expect(load.name == "toy::f\(index):x.toy")
            #expect(load.vma == UInt64(entry.address) && load.codeAddress == load.vma)
            #expect(load.codeSize == UInt64(template.code.count))
            #expect(load.code == template.code)
            #expect(load.pid == UInt32(fakePid), "the LOAD carries the pid the dump is for")
            let unwind = try #require(load.unwind, "LOAD \(index) must be preceded by its UNWINDING_INFO")
            #expect(JitDumpReader.problems(in: unwind, codeSize: template.code.count) == [])
            // Never claim more than the room before the next stub.
            #expect(Int(unwind.mappedSize) <= Int(entry.unwindRoom))
            if index % 3 == 0 {
                #expect(unwind.mappedSize == 0, "compact stubs have no room for the mapping")
            } else {
                #expect(unwind.mappedSize >= unwind.unwindingSize)
            }
        }
        // Nothing is written twice when the file is brought up to date again.
        try file.catchUp(with: registry)
        #expect(try JitDumpReader(path: file.path).loads.count == 300)
    }

    @Test func refusesASymlinkAtTheDumpPath() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let target = dir + "/target"
        #expect(symlink(target, dir + "/jit-77.dump") == 0)
        #expect(throws: OwnedFile.Refusal.self) {
            try JitDumpFile(processID: 77, frame: template.frame!, registry: SymbolRegistry(), directory: dir)
        }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func ulebAndSleb() {
        #expect(EhFrame.uleb128(0) == [0])
        #expect(EhFrame.uleb128(127) == [0x7F])
        #expect(EhFrame.uleb128(128) == [0x80, 0x01])
        #expect(EhFrame.sleb128(-8) == [0x78])
        #expect(EhFrame.sleb128(63) == [0x3F])
        #expect(EhFrame.sleb128(64) == [0xC0, 0x00])
        #expect(EhFrame.sleb128(-65) == [0xBF, 0x7F])
    }

    /// Issue 14: the encoder alone, no file: the header byte for byte, and one stub's two
    /// records byte for byte except their timestamps and thread id, which are masked.
    @Test func recordsAreByteExactWithoutAnyFile() throws {
        let frame = try #require(template.frame)
        var records = JitDumpRecords(frame: frame, processID: 0x0102_0304)
        let header = records.header(timestamp: 0x1122_3344_5566_7788)
        // Built in typed steps: one long `+` chain of literals exceeds Swift 6.2's type checker.
        var expectedHeader: [UInt8] = [0x44, 0x54, 0x69, 0x4A, 1, 0, 0, 0, 40, 0, 0, 0]
        expectedHeader += le(frame.elfMachine)
        expectedHeader += [0, 0, 0, 0, 0x04, 0x03, 0x02, 0x01]
        expectedHeader += [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]
        expectedHeader += [UInt8](repeating: 0, count: 8)
        #expect(header == expectedHeader)

        let code = template.code
        let stub = UnsafeMutableRawPointer.allocate(byteCount: code.count, alignment: 16)
        defer { stub.deallocate() }
        stub.copyMemory(from: code, byteCount: code.count)
        var registry = SymbolRegistry()
        registry.append(address: UInt(bitPattern: stub), size: UInt(code.count), origin: .stub, unwindRoom: 4096,
                        sanitizedName: Array("toy::f:a.toy".utf8))
        registry.append(address: 0x1000, size: 8, origin: .external, sanitizedName: Array("other".utf8))
        var bytes: [UInt8] = []
        records.append(registry[0], to: &bytes)
        records.append(registry[1], to: &bytes)  // another generator's entry: no records

        let unwind = EhFrame(description: frame, codeSize: code.count).bytes
        var unwindData = unwind
        while unwindData.count % 8 != 0 { unwindData.append(0) }
        var expected: [UInt8] = le(UInt32(4))
        expected += le(UInt32(16 + 24 + unwindData.count))
        expected += le(UInt64(0))
        expected += le(UInt64(unwind.count))
        expected += le(UInt64(EhFrame.headerSize))
        expected += le(UInt64((unwind.count + 15) & ~15))
        expected += unwindData
        let name = Array("toy::f:a.toy".utf8)
        let stubAddress = UInt64(UInt(bitPattern: stub))
        expected += le(UInt32(0))
        expected += le(UInt32(16 + 40 + name.count + 1 + code.count))
        expected += le(UInt64(0))
        expected += le(UInt32(0x0102_0304))
        expected += le(UInt32(0))
        expected += le(stubAddress)
        expected += le(stubAddress)
        expected += le(UInt64(code.count))
        expected += le(UInt64(1))
        expected += name
        expected += [0]
        expected += code
        #expect(bytes.count == expected.count)
        // Mask the timestamps (offset 8 of each record) and the LOAD's thread id.
        let loadStart = 16 + 24 + unwindData.count
        for range in [8..<16, loadStart + 8..<loadStart + 16, loadStart + 20..<loadStart + 24] where range.upperBound <= bytes.count {
            bytes.replaceSubrange(range, with: [UInt8](repeating: 0, count: range.count))
        }
        #expect(bytes == expected)
    }

    private func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendLittleEndian(value)
        return bytes
    }
}
