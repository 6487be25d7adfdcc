import Foundation
import Testing
import TestSupport
@testable import PerfTrampoline

/// Issue 23: an activation catches up its file in slices (``PendingActivation``), on a private
/// core with 4 entries per slice, files in a scratch directory.
@Suite(.tags(.backendSensitive)) struct ActivationSliceTests {
    static let jitDumpWorks = PerfSupportTests.jitDumpWorks

    static func core(_ directory: String) -> PrivateCore {
        PrivateCore(core: ProfilingCore(mapDirectory: directory, dumpDirectory: directory, deletionCheckInterval: 0,
                                        catchUpSlice: 4))
    }

    static func makeStubs(_ core: PrivateCore, _ count: Int, prefix: String) throws -> [TestCodeObject] {
        let codes = (0..<count).map { TestCodeObject(name: "\(prefix)_\($0)") }
        for code in codes { _ = try #require(core.stub(for: code)) }
        return codes
    }

    static func names(inDump path: String) throws -> [String] {
        try JitDumpReader(path: path).loads.map(\.name)
    }

    static func names(inMap path: String) -> [String] {
        (readFile(path) ?? "").split(separator: "\n").map { String($0.split(separator: " ", maxSplits: 2)[2]) }
    }

    /// The mode in force stays in force, and names its new stubs, until the new file holds every
    /// entry; then the new mode is on, and its file names every stub once, those made meanwhile
    /// included.
    @Test(.enabled(if: jitDumpWorks, "the forced backend has no unwind description (jitdump mode needs one)"))
    func theModeInForceStaysUntilTheNewFileIsComplete() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let core = Self.core(dir)
        try core.core.activateLocked(.perfMap)
        _ = try Self.makeStubs(core, 40, prefix: "early")
        guard case .inProgress(let pending) = try core.core.startActivationLocked(.jitDump) else {
            Issue.record("40 entries in slices of 4 must leave the activation in progress")
            return
        }
        #expect(core.core.mode == .perfMap)
        #expect(pending.sink.writtenCount == 4)
        _ = try Self.makeStubs(core, 3, prefix: "meanwhile")
        let mapPath = "\(dir)/perf-\(getpid()).map"
        #expect(Self.names(inMap: mapPath).filter { $0.hasPrefix("meanwhile_") }.count == 3, "named in the mode in force")
        let claimed = try FileManager.default.attributesOfItem(atPath: "\(dir)/jit-\(getpid()).dump")
        #expect(claimed[.size] as? Int == 0, "the path is claimed, empty; the dump is put in place complete")
        var slices = 1
        while true {
            slices += 1
            if case .finished = try core.core.continueActivationLocked() { break }
        }
        #expect(slices == 11)  // 43 entries, 4 per slice
        #expect(core.core.mode == .jitDump)
        let names = try Self.names(inDump: "\(dir)/jit-\(getpid()).dump")
        #expect(names.count == 43 && Set(names).count == 43)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/.jit-\(getpid()).dump.partial"))
    }

    /// An `activate` of the mode already being switched to joins the activation in progress
    /// (before the review's fix it started again from entry 0: a host calling it often could
    /// keep the catch-up from ever finishing).
    @Test(.enabled(if: jitDumpWorks, "the forced backend has no unwind description (jitdump mode needs one)"))
    func activatingTheSameModeAgainJoinsTheActivationInProgress() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let core = Self.core(dir)
        try core.core.activateLocked(.perfMap)
        _ = try Self.makeStubs(core, 40, prefix: "early")
        guard case .inProgress(let first) = try core.core.startActivationLocked(.jitDump),
              case .inProgress(let again) = try core.core.startActivationLocked(.jitDump) else {
            Issue.record("the activation must still be in progress")
            return
        }
        #expect(first === again)
        #expect(again.sink.writtenCount == 8, "the second call's slice continues where the first stopped")
    }

    /// An activation that is refused (its file cannot be claimed) leaves the one in progress
    /// alone, new dump included (before the review's fix it dropped it first: a signal's
    /// activation was lost, and the switch out of step).
    @Test(.enabled(if: jitDumpWorks, "the forced backend has no unwind description (jitdump mode needs one)"))
    func aRefusedActivationLeavesTheOneInProgress() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let core = Self.core(dir)
        try core.core.activateLocked(.jitDump)
        _ = try Self.makeStubs(core, 40, prefix: "early")
        core.core.deactivateLocked()
        try FileManager.default.removeItem(atPath: "\(dir)/jit-\(getpid()).dump")
        try FileManager.default.createDirectory(atPath: "\(dir)/perf-\(getpid()).map", withIntermediateDirectories: false)
        guard case .inProgress(let pending) = try core.core.startActivationLocked(.jitDump) else {
            Issue.record("a new dump of 40 entries must be in progress")
            return
        }
        #expect(throws: PerfSupportError.self) { try core.core.startActivationLocked(.perfMap) }
        #expect(core.core.pendingActivation === pending)
        #expect(FileManager.default.fileExists(atPath: "\(dir)/.jit-\(getpid()).dump.partial"))
        while case .inProgress = try core.core.continueActivationLocked() {}
        #expect(core.core.mode == .jitDump)
        #expect(try Self.names(inDump: "\(dir)/jit-\(getpid()).dump").count == 40)
    }

    /// A new perf map is claimed in place (another writer in the process may open it meanwhile:
    /// it is never renamed over). Switched off half-way, it stays open, behind, every line
    /// whole; the next activation continues it, and no stub is named twice.
    @Test(.enabled(if: jitDumpWorks, "the forced backend has no unwind description (jitdump mode needs one)"))
    func aMapLeftHalfWayIsContinuedNotWrittenAgain() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let core = Self.core(dir)
        try core.core.activateLocked(.jitDump)
        _ = try Self.makeStubs(core, 40, prefix: "early")
        guard case .inProgress = try core.core.startActivationLocked(.perfMap) else {
            Issue.record("40 entries in slices of 4 must leave the activation in progress")
            return
        }
        _ = try core.core.continueActivationLocked()
        let mapPath = "\(dir)/perf-\(getpid()).map"
        let halfWay = Self.names(inMap: mapPath)
        #expect(halfWay.count == 8)
        core.core.deactivateLocked()
        #expect(Self.names(inMap: mapPath) == halfWay, "dropped, the map keeps its whole lines")
        try core.core.activateLocked(.perfMap)
        let names = Self.names(inMap: mapPath)
        #expect(names.count == 40 && Set(names).count == 40)
        #expect(Array(names.prefix(8)) == halfWay)
    }

    /// On in perf-map mode, the map deleted, and a new one cannot be made (a directory at its
    /// path): `activate` of the same mode throws and switches off, never staying on with no
    /// file to name stubs in (second review of issue 23's slicing).
    @Test func reactivatingWithADeletedFileThatCannotBeMadeAgainSwitchesOff() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let core = Self.core(dir)
        try core.core.activateLocked(.perfMap)
        _ = try Self.makeStubs(core, 3, prefix: "early")
        let mapPath = "\(dir)/perf-\(getpid()).map"
        try FileManager.default.removeItem(atPath: mapPath)
        try FileManager.default.createDirectory(atPath: mapPath, withIntermediateDirectories: false)
        #expect(throws: PerfSupportError.self) { try core.core.activateLocked(.perfMap) }
        #expect(core.core.mode == .off)
        #expect(core.core.offReason != nil)
        #expect(core.stub(for: TestCodeObject(name: "late")) == nil, "off: no stub runs unnamed")
    }
}

