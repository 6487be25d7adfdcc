import Foundation
import Synchronization
import Testing
import TestSupport
@testable import PerfTrampoline

final class TestCodeObject: Sendable {
    let slot = TrampolineSlot()
    let name: String
    init(name: String) { self.name = name }
}

final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

/// Tests of the process-wide switch. Serialized: they share `PerfSupport.shared` and this
/// process's map file, removed when the process exits (our own pid's files only).
@Suite(.serialized, .tags(.backendSensitive)) struct PerfSupportTests {
    let perf = PerfSupport.shared
    var mapPath: String { PerfMapFile.path(forProcess: getpid()) }

    /// The test process's own map and dump are removed when it exits, whichever test ran last.
    private static let removeOwnFilesAtExit: Void = {
        atexit {
            unlink(PerfMapFile.path(forProcess: getpid()))
            unlink("/tmp/jit-\(getpid()).dump")
        }
    }()

    init() { Self.removeOwnFilesAtExit }

    /// Whether this machine's backend (or the one PERFTRAMPOLINE_BACKEND forces) supports
    /// jitdump mode: the asm stub does; the c and ffi backends may not.
    static let jitDumpWorks = (try? BackendSelection.choose())?.frame != nil

    func mapLines() -> [Substring] {
        (readFile(mapPath) ?? "").split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    }

    @Test func modeNamesAndSwitches() throws {
        #expect(try ProfilingMode(name: "perf") == .perfMap)
        #expect(try ProfilingMode(name: "jitdump") == .jitDump)
        #expect(throws: PerfSupportError.unknownMode("bogus")) { try ProfilingMode(name: "bogus") }
        #expect(PerfSupportError.unknownMode("bogus").description.contains("'bogus'"))
        let none: [String: String] = [:]
        #expect(try ProfilingMode.requested(arguments: ["-Xperf"], environment: none) == .perfMap)
        #expect(try ProfilingMode.requested(arguments: ["-X", "perf"], environment: none) == .perfMap)
        #expect(try ProfilingMode.requested(arguments: ["-Xperf_jit"], environment: none) == .jitDump)
        #expect(try ProfilingMode.requested(arguments: ["-X", "perf_jit"], environment: none) == .jitDump)
        #expect(try ProfilingMode.requested(arguments: [], environment: ["PERFSUPPORT": "1"]) == .perfMap)
        #expect(try ProfilingMode.requested(arguments: [], environment: ["PERFSUPPORT": "jitdump"]) == .jitDump)
        #expect(try ProfilingMode.requested(arguments: [], environment: ["PERFSUPPORT": "0"]) == nil)
        #expect(try ProfilingMode.requested(arguments: [], environment: none) == nil)
        #expect(try ProfilingMode.requested(arguments: ["-Xperf"], environment: ["PERFSUPPORT": "jitdump"]) == .perfMap)
        #expect(try ProfilingMode.requested(arguments: ["-Xperf_jit"], environment: ["PERFSUPPORT": "1"]) == .jitDump)
        #expect(throws: PerfSupportError.unknownMode("PERFSUPPORT=yes please")) {
            try ProfilingMode.requested(arguments: [], environment: ["PERFSUPPORT": "yes please"])
        }
    }

    @Test func offMeansNoStubAndNoEntry() {
        perf.deactivate()
        let code = TestCodeObject(name: "toy::never:test")
        #expect(perf.stub(for: code.slot, name: code.name) == nil)
        #expect(code.slot.address == nil)
        #expect(!perf.isActive)
    }

    @Test func eightThreadsEnteringTheSameNewCodeObjectsMakeOneStubEach() throws {
        try perf.activate(.perfMap)
        #expect(perf.isActive)
        let codes = (0..<10_000).map { TestCodeObject(name: "toy::race\($0):threads.toy") }
        let before = perf.status.stubCount
        // NSLock rather than Mutex: TSan cannot see Mutex's futex and would report a false race.
        let addresses = LockedBox<[[UInt]]>(Array(repeating: [], count: 8))
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            var seen: [UInt] = []
            for (index, code) in codes.enumerated() {
                let stub = perf.stub(for: code.slot, name: code.name)!
                #expect(stub(nil, nil, index, probeEvaluator) == index)
                seen.append(UInt(bitPattern: unsafeBitCast(stub, to: UnsafeRawPointer.self)))
            }
            addresses.withLock { $0[thread] = seen }
        }
        let all = addresses.withLock { $0 }
        for thread in 1..<8 { #expect(all[thread] == all[0]) }
        #expect(Set(all[0]).count == codes.count)
        #expect(perf.status.stubCount - before == codes.count)
        let lines = mapLines().filter { $0.hasSuffix(":threads.toy") }
        #expect(lines.count == codes.count)
        #expect(Set(lines).count == codes.count)
        for (index, code) in codes.enumerated() {
            let address = String(UInt(bitPattern: code.slot.address!), radix: 16)
            #expect(lines[index] == "\(address) \(String(try BackendSelection.choose().code.count, radix: 16)) toy::race\(index):threads.toy")
        }
    }

    @Test func tenThousandOnOffCyclesLeakNothing() throws {
        try perf.activate(.perfMap)
        let codes = (0..<50).map { TestCodeObject(name: "toy::cycle\($0):cycles.toy") }
        for code in codes { _ = perf.stub(for: code.slot, name: code.name) }
        let fds = openDescriptorCount()
        let chunks = perf.status.chunkCount
        let stubs = perf.status.stubCount
        for cycle in 0..<10_000 {
            perf.deactivate()
            #expect(perf.stub(for: codes[cycle % 50].slot, name: "unused") == nil)
            try perf.activate(.perfMap)
            try perf.activate(.perfMap)  // activating twice is fine
            #expect(perf.stub(for: codes[cycle % 50].slot, name: "unused") != nil)
        }
        #expect(openDescriptorCount() == fds)
        #expect(perf.status.chunkCount == chunks)
        #expect(perf.status.stubCount == stubs)
        let lines = mapLines().filter { $0.hasSuffix(":cycles.toy") }
        #expect(lines.count == 50)
        #expect(!mapLines().contains { $0.hasSuffix("unused") })
    }

    @Test func writeOneEntryForAnotherJIT() throws {
        try perf.activate(.perfMap)
        try perf.writePerfMapEntry(address: UnsafeRawPointer(bitPattern: 0x1234)!, size: 0x162e, name: "entry1")
        try perf.writePerfMapEntry(address: UnsafeRawPointer(bitPattern: 0x3456)!, size: 1 << 33, name: "entry_big")
        let lines = mapLines()
        #expect(lines.contains("1234 162e entry1"))
        #expect(lines.contains("3456 200000000 entry_big"))
        let error = #expect(throws: PerfSupportError.self) {
            try perf.writePerfMapEntry(address: UnsafeRawPointer(bitPattern: 0x10)!, size: 0, name: "zero")
        }
        #expect(error?.kind == .invalidArgument, "nothing was disabled")
        #expect(error?.description == "invalid argument: a perf map entry needs a non-zero size")
        #expect(perf.isActive)
    }

    /// Issue 14: errors keep what failed — the call, errno and the file.
    @Test func aSetupFailureKeepsTheCallErrnoAndPath() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let missing = dir + "/no-such-directory"
        let core = PrivateCore(directory: missing)
        let error = #expect(throws: PerfSupportError.self) { try core.core.activateLocked(.perfMap) }
        #expect(error?.kind == .setupFailed)
        #expect(error?.systemCall == "open")
        #expect(error?.errno == ENOENT)
        #expect(error?.path?.hasPrefix(missing + "/perf-\(getpid()).map") == true, "\(String(describing: error?.path))")
        #expect(error?.description.hasPrefix("perf support disabled: ") == true)
        #expect(core.core.mode == .off)
    }

    @Test func everyLineOfTheMapParses() throws {
        try perf.activate(.perfMap)
        let hostile = TestCodeObject(name: "toy::bad\nname\r\t\u{0}:" + String(repeating: "x", count: 1 << 20))
        #expect(perf.stub(for: hostile.slot, name: hostile.name) != nil)
        let text = try #require(readFile(mapPath))
        #expect(text.hasSuffix("\n"))
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 2)
            #expect(fields.count == 3)
            #expect(UInt(fields[0], radix: 16) != nil && !fields[0].hasPrefix("0x"))
            #expect((UInt(fields[1], radix: 16) ?? 0) > 0)
            #expect(fields[2].utf8.count <= SymbolName.maximumLength)
        }
        #expect(text.contains("toy::bad?name???:xxx"))
    }

    @Test func statusReportsTheState() throws {
        try perf.activate(.perfMap)
        let status = perf.status
        #expect(status.mode == .perfMap)
        #expect(status.backend == (try BackendSelection.choose()).backend)
        #expect(status.backend?.rawValue == (BackendSelection.environmentChoice ?? "asm"))
        #expect(status.perfMapPath == mapPath)
        #expect(status.offReason == nil)
        #expect(status.chunkCount >= 1)
        perf.deactivate()
        #expect(perf.status.mode == .off)
        #expect(perf.status.description.contains("mode=off"))
    }

    @Test(.tags(.forksOrSpawns)) func forkWhileAnotherThreadRegistersDoesNotDeadlockTheChild() throws {
        try perf.activate(.perfMap)
        // At least one entry for every child to inherit, whatever ran before this test.
        let inherited = TestCodeObject(name: "toy::inherited:fork.toy")
        #expect(perf.stub(for: inherited.slot, name: inherited.name) != nil)
        let stop = Atomic<Bool>(false)
        let finished = DispatchSemaphore(value: 0)
        let registrar = Thread {
            var count = 0
            while !stop.load(ordering: .relaxed) {
                let code = TestCodeObject(name: "toy::busy\(count):fork.toy")
                _ = perf.stub(for: code.slot, name: code.name)
                count += 1
            }
            finished.signal()
        }
        registrar.start()
        // The registrar must be gone before the next test measures the shared instance (it
        // once made a stub during millionCodeObjects' count).
        defer {
            stop.store(true, ordering: .relaxed)
            finished.wait()
        }
        var children: [pid_t] = []
        defer { for child in children { unlink(PerfMapFile.path(forProcess: child)) } }
        for round in 0..<30 {
            let child = fork()
            if child == 0 {
                // A deadlocked child is ended by its own alarm (the parent then sees SIGALRM):
                // no polling, no sleep. Only async-signal-safe calls before the stub.
                var alarmOnly = sigset_t()
                sigemptyset(&alarmOnly)
                sigaddset(&alarmOnly, SIGALRM)
                pthread_sigmask(SIG_UNBLOCK, &alarmOnly, nil)
                signal(SIGALRM, SIG_DFL)
                alarm(10)
                // Only the forking thread exists here; the lock must have been re-created.
                let code = TestCodeObject(name: "toy::child\(round):fork.toy")
                let ok = perf.stub(for: code.slot, name: code.name) != nil
                _exit(ok ? 0 : 3)
            }
            try #require(child > 0)
            children.append(child)
        }
        for (round, child) in children.enumerated() {
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
            if status & 0x7f == SIGALRM {
                Issue.record("child \(child) deadlocked (ended by its 10 s alarm)")
                continue
            }
            #expect(status == 0, "child \(child) exited with \(status)")
            let lines = (readFile(PerfMapFile.path(forProcess: child)) ?? "").split(separator: "\n")
            #expect(lines.filter { $0.hasSuffix(" toy::child\(round):fork.toy") }.count == 1)
            #expect(!lines.contains { $0.contains("toy::child") && !$0.hasSuffix(" toy::child\(round):fork.toy") })
            #expect(lines.contains { $0.hasSuffix(" toy::inherited:fork.toy") }, "the child inherits the parent's entries")
        }
        let parentLines = mapLines()
        #expect(!parentLines.contains { $0.contains("toy::child") }, "children's stubs never reach the parent's map")
    }

    /// 1,000,000 distinct code objects: memory per stub reported, map well formed, no fd or
    /// chunk leak. On a core of its own, with its map in a scratch directory, so that no later
    /// test meets its million stubs.
    @Test(.tags(.soak)) func millionCodeObjects() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let core = PrivateCore(directory: dir)
        try core.core.activateLocked(.perfMap)
        let before = core.core.statusLocked
        let fds = openDescriptorCount()
        let count = 1_000_000
        var codes: [TestCodeObject] = []
        codes.reserveCapacity(count)
        for index in 0..<count {
            let code = TestCodeObject(name: "toy::soak\(index):soak.toy")
            #expect(core.stub(for: code) != nil)
            codes.append(code)
        }
        let after = core.core.statusLocked
        #expect(after.stubCount - before.stubCount == count)
        let template = try BackendSelection.choose()
        let arena = CodeArena(template: template)
        let chunks = after.chunkCount - before.chunkCount
        #expect(chunks <= (count + arena.slotsPerChunk - 1) / arena.slotsPerChunk + 1, "no chunk is wasted")
        #expect(openDescriptorCount() == fds, "no descriptor leaks")
        let metadata = (after.metadataBytes - before.metadataBytes) / count
        print("soak: \(count) stubs, \(after.bytesPerStub ?? 0) executable bytes each, \(metadata) bytes of metadata each, \(chunks) chunks")
        let text = try #require(readFile(PerfMapFile.path(forProcess: getpid(), in: dir)))
        var soakLines = 0
        for line in text.split(separator: "\n") where line.hasSuffix(":soak.toy") {
            soakLines += 1
            let fields = line.split(separator: " ", maxSplits: 2)
            #expect(fields.count == 3 && UInt(fields[0], radix: 16) != nil && UInt(fields[1], radix: 16) != nil)
        }
        #expect(soakLines == count)
        #expect(Set(codes.map { UInt(bitPattern: $0.slot.address!) }).count == count)
    }

    /// Issue 15: a released stub is reused only for a code object with the same name, so
    /// re-creating functions costs no new stub and no new line; 100,000 create/call/release
    /// cycles over 1,000 names make exactly 1,000 stubs and 1,000 lines.
    @Test func releasedStubsAreReusedOnlyForTheSameName() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let core = PrivateCore(directory: dir)
        try core.core.activateLocked(.perfMap)
        let mapLines = { (readFile(PerfMapFile.path(forProcess: getpid(), in: dir)) ?? "").split(separator: "\n") }
        let first = TestCodeObject(name: "toy::churn_a:release.toy")
        let a = try #require(core.stub(for: first))
        let linesAfterA = mapLines().count
        core.release(first)
        #expect(first.slot.stub == nil, "a released slot reads as empty")
        let again = TestCodeObject(name: "toy::churn_a:release.toy")
        let reused = try #require(core.stub(for: again))
        #expect(unsafeBitCast(reused, to: UInt.self) == unsafeBitCast(a, to: UInt.self), "same name: the same stub")
        let other = TestCodeObject(name: "toy::churn_b:release.toy")
        let b = try #require(core.stub(for: other))
        #expect(unsafeBitCast(b, to: UInt.self) != unsafeBitCast(a, to: UInt.self), "another name never gets a released stub")
        #expect(mapLines().count == linesAfterA + 1, "only the new name got a line")
        #expect(b(nil, nil, 41, probeEvaluator) == expectedProbe(0, 0, 41))

        let stubsBefore = core.core.statusLocked.stubCount
        let linesBefore = mapLines().count
        var wrong = 0
        for cycle in 0..<100_000 {
            let code = TestCodeObject(name: "toy::churn\(cycle % 1000):release.toy")
            guard let stub = core.stub(for: code), stub(nil, nil, cycle, probeEvaluator) == cycle else {
                wrong += 1
                continue
            }
            core.release(code)
        }
        #expect(wrong == 0)
        #expect(core.core.statusLocked.stubCount == stubsBefore + 1000)
        #expect(mapLines().count == linesBefore + 1000)
    }

    /// Issue 15, jitdump mode: a released stub takes any new name (a new load record); after
    /// 2,000 renames the registry has compacted (bookkeeping for the live stub only) and a
    /// freshly opened dump — a fork child's, a re-created one — gets one record per stub.
    @Test(.enabled(if: PerfSupportTests.jitDumpWorks, "the forced backend has no unwind description (jitdump mode needs one)"))
    func jitdumpModeRenamesReleasedStubsAndCompacts() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let core = PrivateCore(directory: dir, releasedStubBound: 0)
        try core.core.activateLocked(.jitDump)
        let keep = TestCodeObject(name: "toy::kept:rename.toy")
        #expect(core.stub(for: keep) != nil)
        var addresses = Set<UInt>()
        for cycle in 0..<2000 {
            let code = TestCodeObject(name: "toy::renamed\(cycle):rename.toy")
            let stub = try #require(core.stub(for: code))
            #expect(stub(nil, nil, cycle, probeEvaluator) == cycle)
            addresses.insert(UInt(bitPattern: code.slot.address!))
            core.release(code)
        }
        #expect(addresses.count == 1, "every new name took the released stub")
        let status = core.core.statusLocked
        #expect(status.stubCount == 2)
        #expect(status.symbolCount == 2, "live entries: kept and the last name")
        #expect(core.core.registry.count < 1100, "renamed entries were dropped (\(core.core.registry.count) left)")
        let dumpPath = JitDumpFile.path(forProcess: getpid(), in: dir)
        let dump = try JitDumpReader(path: dumpPath)
        #expect(dump.loads.count == 2001)
        #expect(dump.loads.last?.name == "toy::renamed1999:rename.toy")
        // A dump opened now (as a fork child's is) holds exactly the live stubs, current names;
        // then 'after' takes the released stub with a record of its own.
        unlink(dumpPath)
        let next = TestCodeObject(name: "toy::after:rename.toy")
        #expect(core.stub(for: next) != nil)
        let recreated = try JitDumpReader(path: dumpPath)
        #expect(recreated.loads.map(\.name) == ["toy::kept:rename.toy", "toy::renamed1999:rename.toy", "toy::after:rename.toy"])
        #expect(recreated.loads[1].codeAddress == recreated.loads[2].codeAddress)
    }

    /// Issue 23: a map deleted while profiling is off is made again, complete, when profiling
    /// comes back on, not only when a new stub is made.
    @Test func aMapDeletedWhileOffIsMadeAgainOnReactivation() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let core = PrivateCore(directory: dir)
        try core.core.activateLocked(.perfMap)
        let hot = TestCodeObject(name: "toy::hot:deleted.toy")
        #expect(core.stub(for: hot) != nil)
        let path = "\(dir)/perf-\(getpid()).map"
        core.core.deactivateLocked()
        #expect(unlink(path) == 0)
        try core.core.activateLocked(.perfMap)
        // No new code object: the hot function runs on through its existing stub.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasSuffix(" toy::hot:deleted.toy\n") && text.split(separator: "\n").count == 1, "\(text)")
    }

    /// Issue 23: in jitdump mode another generator's entry goes to a perf map that leaves the
    /// stubs out, so a released stub can still be renamed (before, the map was given every
    /// stub and none could be renamed again). Back in perf-map mode the map gets the stubs,
    /// each under its current name only; a stub named while in perf-map mode stays pinned.
    @Test(.enabled(if: PerfSupportTests.jitDumpWorks, "the forced backend has no unwind description (jitdump mode needs one)"))
    func anExternalEntryInJitdumpModeLeavesStubsRenamable() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let core = PrivateCore(directory: dir, releasedStubBound: 0)
        try core.core.activateLocked(.perfMap)
        let pinned = TestCodeObject(name: "toy::pinned:external.toy")
        let pinnedStub = try #require(core.stub(for: pinned))
        try core.core.activateLocked(.jitDump)
        let first = TestCodeObject(name: "toy::first:external.toy")
        let firstStub = try #require(core.stub(for: first))
        core.release(pinned)
        core.release(first)
        try core.core.writeExternalEntryLocked(address: 0x1000, size: 16, sanitizedName: Array("other_jit".utf8))
        let path = "\(dir)/perf-\(getpid()).map"
        let before = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ")[2] }
        #expect(before == ["toy::pinned:external.toy", "other_jit"], "the jitdump mode's stub left out: \(before)")
        let second = TestCodeObject(name: "toy::second:external.toy")
        let secondStub = try #require(core.stub(for: second))
        #expect(unsafeBitCast(secondStub, to: UInt.self) == unsafeBitCast(firstStub, to: UInt.self), "renamed")
        #expect(unsafeBitCast(secondStub, to: UInt.self) != unsafeBitCast(pinnedStub, to: UInt.self), "the map names it")
        try core.core.writeExternalEntryLocked(address: 0x2000, size: 16, sanitizedName: Array("other_jit2".utf8))
        try core.core.activateLocked(.perfMap)
        let names = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ")[2] }
        #expect(names == ["toy::pinned:external.toy", "other_jit", "other_jit2", "toy::second:external.toy"], "\(names)")
        let lines = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!lines.contains("toy::first:"), "a superseded name never reaches the map")
    }

    /// Issue 23: a host that copied a slot and releases both copies gives the stub back once:
    /// two new code objects of that name then get two different stubs.
    @Test func releasingACopiedSlotTwiceGivesTheStubBackOnce() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let core = PrivateCore(directory: dir)
        try core.core.activateLocked(.perfMap)
        let original = TestCodeObject(name: "toy::copied:twice.toy")
        let stub = try #require(core.stub(for: original))
        let copy = TestCodeObject(name: "toy::copied:twice.toy")
        copy.slot.bits.store(original.slot.bits.load(ordering: .acquiring), ordering: .releasing)
        core.release(original)
        core.release(copy)
        let first = try #require(core.stub(for: TestCodeObject(name: "toy::copied:twice.toy")))
        let second = try #require(core.stub(for: TestCodeObject(name: "toy::copied:twice.toy")))
        #expect(unsafeBitCast(first, to: UInt.self) == unsafeBitCast(stub, to: UInt.self), "the released stub is reused")
        #expect(unsafeBitCast(first, to: UInt.self) != unsafeBitCast(second, to: UInt.self), "but only once")
    }

    /// A failed switch keeps the previous state: perf-map mode goes on taking compact stubs
    /// after jitdump mode was refused (its dump directory is missing).
    @Test func aRefusedSwitchKeepsTheCurrentModesArena() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let core = PrivateCore(core: ProfilingCore(mapDirectory: dir, dumpDirectory: dir + "/missing", deletionCheckInterval: 0))
        try core.core.activateLocked(.perfMap)
        #expect(core.stub(for: TestCodeObject(name: "toy::before:switch.toy")) != nil)
        #expect(throws: PerfSupportError.self) { try core.core.activateLocked(.jitDump) }
        #expect(core.core.mode == .perfMap)
        #expect(core.stub(for: TestCodeObject(name: "toy::after:switch.toy")) != nil)
        #expect(core.core.arenas[.compact]?.issuedCount == 2, "both stubs from the perf-map mode's arena")
        #expect(core.core.arenas[.jitDump]?.issuedCount ?? 0 == 0)
    }
}

/// A core of a test's own: files in `directory`, no process-wide flag or fork handlers, so that
/// nothing it makes reaches `PerfSupport.shared` or another test. Single-threaded use only (the
/// registration lock is the shared front's).
struct PrivateCore {
    let core: ProfilingCore

    init(directory: String, releasedStubBound: Int = ReleasedStubs.defaultBound) {
        // Deletion checked on every first entry, so a test may delete a file and go on at once.
        self.init(core: ProfilingCore(mapDirectory: directory, dumpDirectory: directory, deletionCheckInterval: 0,
                                      releasedStubBound: releasedStubBound))
    }

    init(core: ProfilingCore) {
        self.core = core
    }

    func stub(for code: TestCodeObject) -> PerfStub? {
        var warning: ProfilingCore.Warning?
        let address = core.makeStubLocked(load: { code.slot.bits.load(ordering: .acquiring) },
                                          publish: { code.slot.bits.store($0, ordering: .releasing) },
                                          sanitizedName: SymbolName.sanitized(code.name), warning: &warning)
        return address.map { unsafeBitCast($0, to: PerfStub.self) }
    }

    func release(_ code: TestCodeObject) {
        core.releaseLocked(load: { code.slot.bits.load(ordering: .acquiring) },
                           clear: { code.slot.bits.store(0, ordering: .releasing) })
    }
}
