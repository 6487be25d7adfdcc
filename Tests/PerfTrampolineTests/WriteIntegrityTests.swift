import Foundation
import Testing
import TestSupport
@testable import PerfTrampoline

/// Issue 16: after a failure at any byte, every line of the map is whole and true, every jitdump
/// record complete; at worst the entry being written is missing, and a later write never glues
/// onto a fragment.
@Suite(.serialized, .tags(.backendSensitive)) struct WriteIntegrityTests {
    let template = StubTemplate.assembly()!

    private func registry(_ count: Int, arena: CodeArena) throws -> SymbolRegistry {
        var registry = SymbolRegistry()
        for index in 0..<count {
            let address = try arena.allocate()
            registry.append(address: UInt(bitPattern: address), size: UInt(template.code.count), origin: .stub,
                            unwindRoom: arena.unwindRoom, sanitizedName: SymbolName.sanitized("toy::f\(index):refill.toy"))
        }
        return registry
    }

    private func lines(of registry: SymbolRegistry, _ range: Range<Int>) -> String {
        var bytes: [UInt8] = []
        for index in range { PerfMapLine.append(registry[index], to: &bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// ENOSPC at every byte offset of the writes of three entries, then space again: the map
    /// holds only whole lines of the entries written before the failure, and after the retry
    /// exactly all lines, none merged.
    @Test func diskFullAtEveryByteOffsetLeavesOnlyWholeLines() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let arena = CodeArena(template: template)
        let full = try registry(3, arena: arena)
        let total = lines(of: full, 0..<3).utf8.count
        for offset in 0...total {
            let path = PerfMapFile.path(forProcess: 1, in: dir)
            let map = try PerfMapFile(processID: 1, registry: SymbolRegistry(), directory: dir)
            var partial = SymbolRegistry()
            InjectedFaults.writeBudget.withLock { $0 = (path, offset) }
            var written = 0
            for index in 0..<3 {
                let entry = full[index]
                partial.append(address: entry.address, size: entry.size, origin: entry.origin,
                               unwindRoom: Int(entry.unwindRoom), sanitizedName: Array(entry.name))
                do {
                    try map.catchUp(with: partial)
                    written += 1
                } catch {
                    partial.removeLast()
                    #expect(error.code == ENOSPC)
                    break
                }
            }
            #expect(readFile(path) == lines(of: full, 0..<written), "offset \(offset)")
            // Space again (the host re-activates): the rest follows on a line of its own.
            InjectedFaults.writeBudget.withLock { $0 = nil }
            try map.catchUp(with: full)
            #expect(readFile(path) == lines(of: full, 0..<3), "offset \(offset)")
            withExtendedLifetime(map) {}
            unlink(path)
        }
    }

    /// The same for the jitdump: at every byte offset of two stubs' records, the dump ends after a
    /// complete record, and after the retry it parses with both LOADs.
    @Test func jitdumpRecordsAreWholeAfterDiskFullAtEveryOffset() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let arena = CodeArena(template: template, layout: .jitDump)
        let full = try registry(2, arena: arena)
        let frame = try #require(template.frame)
        // The size of the two stubs' records, measured on a scratch dump.
        let probe = try JitDumpFile(processID: 2, frame: frame, registry: SymbolRegistry(), directory: dir)
        try probe.catchUp(with: full)
        let recordBytes = probe.file.length - JitDumpRecords.headerSize
        unlink(probe.path)
        for offset in stride(from: 0, through: recordBytes, by: 7) {
            let dump = try JitDumpFile(processID: 3, frame: frame, registry: SymbolRegistry(), directory: dir)
            InjectedFaults.writeBudget.withLock { $0 = (dump.path, offset) }
            let failed = (try? dump.catchUp(with: full)) == nil
            InjectedFaults.writeBudget.withLock { $0 = nil }
            let afterFailure = try JitDumpReader(path: dump.path)
            #expect(afterFailure.loads.count == (failed ? 0 : 2), "offset \(offset): all or nothing")
            try dump.catchUp(with: full)
            let retried = try JitDumpReader(path: dump.path)
            #expect(retried.loads.map(\.name) == ["toy::f0:refill.toy", "toy::f1:refill.toy"], "offset \(offset)")
            unlink(dump.path)
        }
    }
}
