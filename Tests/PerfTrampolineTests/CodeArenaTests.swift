import Testing
import TestSupport
@testable import PerfTrampoline

/// Passes all three host arguments through into the result, so a stub that dropped or
/// swapped one gives a different number.
let probeEvaluator: PerfEvaluator = { context, code, argument in
    Int(bitPattern: context) &* 31 &+ Int(bitPattern: code) &* 17 &+ argument
}

func expectedProbe(_ context: Int, _ code: Int, _ argument: Int) -> Int {
    context &* 31 &+ code &* 17 &+ argument
}

/// Every backend that works on this machine.
let availableBackends: [PerfBackend] = PerfBackend.allCases.filter { (try? BackendSelection.template(for: $0)) != nil }

@Suite(.tags(.backendSensitive)) struct CodeArenaTests {
    let template = StubTemplate.assembly()!

    @Test func everyBackendIsAvailableHere() {
        #if os(Linux) && FFIBackend
        #expect(availableBackends == [.assembly, .compiledC, .libffi])
        #elseif os(Linux)
        #expect(availableBackends == [.assembly, .compiledC])
        #endif
    }

    /// Issue 12: Apple's arm64 libffi cannot prepare a closure in place; forcing the backend
    /// there is refused with the reason (which `status` then reports), never attempted.
    @Test func ffiBackendIsRefusedOnlyWhereClosuresCannotBePreparedInPlace() {
        #if os(macOS) && arch(arm64)
        do {
            _ = try BackendSelection.choose(forced: "ffi")
            Issue.record("the ffi backend was accepted on macOS arm64")
        } catch {
            #expect(error.description.contains("FFI_EXEC_TRAMPOLINE_TABLE"))
        }
        #elseif FFIBackend
        #expect((try? BackendSelection.choose(forced: "ffi"))?.backend == .libffi)
        #else
        do {
            _ = try BackendSelection.choose(forced: "ffi")
            Issue.record("the ffi backend was accepted in a build without the FFIBackend trait")
        } catch {
            #expect(error.description.contains("FFIBackend"))
        }
        #endif
    }

    @Test func templateIsSmall() {
        #if arch(x86_64)
        #expect(template.code.count == 12)
        #expect(template.stride(for: .compact) == 16)
        #elseif arch(arm64)
        #expect(template.code.count == 24)
        #expect(template.stride(for: .compact) == 32)
        #endif
    }

    @Test(.tags(.soak), arguments: availableBackends)
    func hundredThousandStubsAreDistinctExecutableAndPassArgumentsThrough(backend: PerfBackend) throws {
        let arena = CodeArena(template: try BackendSelection.template(for: backend))
        var addresses: [UInt] = []
        for _ in 0..<100_000 {
            addresses.append(UInt(bitPattern: try arena.allocate()))
        }
        #expect(Set(addresses).count == addresses.count)
        #expect(arena.chunks.count == (100_000 + arena.slotsPerChunk - 1) / arena.slotsPerChunk)
        #expect(arena.chunks.count > 1)

        let mappings = MemoryMapping.current()
        for (index, address) in addresses.enumerated() {
            let mapping = try #require(MemoryMapping.containing(address, in: mappings))
            #expect(mapping.permissions == "r-xp")
            #expect(mapping.path.isEmpty, "stub memory must be anonymous, got \(mapping.path)")
            let stub = unsafeBitCast(address, to: PerfStub.self)
            let context = UnsafeMutableRawPointer(bitPattern: 0x1000 + index)
            let code = UnsafeMutableRawPointer(bitPattern: 0x7777_0000 + index * 8)
            let result = stub(context, code, -index, probeEvaluator)
            #expect(result == expectedProbe(0x1000 + index, 0x7777_0000 + index * 8, -index))
        }
    }

    @Test(arguments: availableBackends)
    func noMappingIsEverWritableAndExecutable(backend: PerfBackend) throws {
        let arena = CodeArena(template: try BackendSelection.template(for: backend))
        for _ in 0..<(arena.slotsPerChunk * 3 + 1) { _ = try arena.allocate() }
        let rwx = MemoryMapping.current().filter { $0.permissions.hasPrefix("rwx") }
        #expect(rwx.isEmpty, "rwx mappings: \(rwx.map { String($0.start, radix: 16) })")
    }

    @Test(arguments: availableBackends)
    func slotsAreNeverReused(backend: PerfBackend) throws {
        let arena = CodeArena(template: try BackendSelection.template(for: backend), chunkSize: 4096)
        var seen = Set<UInt>()
        for _ in 0..<(arena.slotsPerChunk * 4) {
            #expect(seen.insert(UInt(bitPattern: try arena.allocate())).inserted)
        }
        #expect(arena.issuedCount == arena.slotsPerChunk * 4)
        #expect(arena.chunks.count == 4)
    }

    /// Issue 12: no thread stack can end within perf's 65,528-byte stack-dump window below a
    /// chunk, because the 64 KiB under every chunk is a no-access part of its own reservation.
    @Test(arguments: [StubLayout.compact, .jitDump])
    func everyChunkHasANoAccessGuardBelowIt(layout: StubLayout) throws {
        let arena = CodeArena(template: template, layout: layout)
        for _ in 0..<(arena.slotsPerChunk * 3) { _ = try arena.allocate() }
        #expect(arena.guardSize >= 65528)
        let mappings = MemoryMapping.current()
        for chunk in arena.chunks {
            let base = UInt(bitPattern: chunk)
            let below = try #require(MemoryMapping.containing(base - 1, in: mappings))
            #expect(below.permissions == "---p")
            #expect(below.start <= base - UInt(arena.guardSize), "guard of \(base - below.start) bytes")
        }
    }
}
