
/// Everything behind the public front (``PerfSupport``): the mode, the arenas, the registry,
/// the released stubs and the files. Every method runs with the front's registration lock held
/// (the `…Locked` names say so); none of them logs — a warning is returned, for the front to
/// log once the lock is released (a log handler may read `status`).
///
/// One instance per process in production (``PerfSupport/shared``'s). Tests may make their
/// own, with files in a scratch directory and no process-wide effects, so that nothing they
/// leave behind reaches another test.
final class ProfilingCore {
    /// A warning for the front to log after unlocking.
    typealias Warning = (sink: WarningSink, message: String)

    /// What the core changes beyond itself: the fast path's flag (a C int the Swift and C fast
    /// paths and the signal handler share), and the fork handlers. Only the shared core has them.
    struct ProcessEffects: Sendable {
        let setActiveFlag: @Sendable (Bool) -> Void
        let installForkHandlers: @Sendable () -> Void
        static let none = ProcessEffects(setActiveFlag: { _ in }, installForkHandlers: {})
    }

    var mode: ProfilingMode = .off
    var template: StubTemplate?
    var arenas: [StubLayout: CodeArena] = [:]
    /// The arena of the current mode's layout (set by activation; no lookup per first entry).
    var currentArena: CodeArena?
    /// When the current file was last checked for deletion (monotonic ns).
    var lastDeletionCheck: UInt64 = 0
    var registry = SymbolRegistry()
    /// Stubs given back by `release` (reused by name; in jitdump mode also renamed).
    var releasedStubs = ReleasedStubs()
    /// Registry index of every stub, by address: built at the first `release` (hosts that never
    /// release pay nothing for it), kept up to date after that.
    var stubIndex: [UInt: Int]?
    var perfMap: PerfMapFile?
    var jitDump: JitDumpFile?
    var offReason: String?
    var lastWarning: String?
    var warningSink = WarningSink.standardError
    var forkHandlersInstalled = false
    /// The signal switch: installed, its mode, and how many signals have been applied.
    var signalSwitch: (signal: Int32, mode: ProfilingMode)?
    /// The process the files belong to: a cold path in another process is in a fork child the
    /// atfork handlers never saw (a raw `syscall(SYS_fork)` or `clone`).
    var processID = System.processID
    /// What applying pending signals in the fork prepare handler said, logged by the parent
    /// handler once the lock is released.
    var warningsBeforeFork: [Warning] = []
    /// Whether a fork prepare handler has completed ``ForkWarmUp`` (needed once per process).
    private var forkWarmedUp = false
    /// The signal switch generation (CShims/signal_switch.c) whose request `mode` reflects.
    var appliedSignals: UInt = 0
    /// A switch on whose file is still being caught up, slice by slice (issue 23).
    var pendingActivation: PendingActivation?

    let mapDirectory: String
    let dumpDirectory: String
    let effects: ProcessEffects
    /// How often (ns) a first entry checks whether the current file was deleted.
    let deletionCheckInterval: UInt64
    /// Jitdump mode: renamable released stubs kept for their own names before the least
    /// recently released one is renamed (``ReleasedStubs/defaultBound``).
    let releasedStubBound: Int
    /// Entries written per lock hold while an activation catches up (``PendingActivation``).
    let catchUpSlice: Int

    init(mapDirectory: String = "/tmp", dumpDirectory: String = JitDumpFile.directory, effects: ProcessEffects = .none,
         deletionCheckInterval: UInt64 = 100_000_000, releasedStubBound: Int = ReleasedStubs.defaultBound,
         catchUpSlice: Int = ProfilingCore.defaultCatchUpSlice) {
        self.releasedStubBound = releasedStubBound
        self.catchUpSlice = catchUpSlice
        self.mapDirectory = mapDirectory
        self.dumpDirectory = dumpDirectory
        self.effects = effects
        self.deletionCheckInterval = deletionCheckInterval
    }

    // MARK: - Stubs

    /// The cold path, after the front found the slot empty: re-check, take a stub (a released
    /// one of the same name, a renamed one in jitdump mode, or a new copy), name it in the
    /// active file, then publish it. Nil while off, or after a failure (then off, with a warning).
    func makeStubLocked(load: () -> UInt, publish: (UInt) -> Void, sanitizedName sanitized: [UInt8],
                        warning: inout Warning?) -> UnsafeRawPointer? {
        if let existing = UnsafeRawPointer(bitPattern: load()) { return existing }  // another thread won
        raiseSwitchSignalUnderLockForTests()
        if let adopted = adoptUnseenForkLocked() { warning = adopted }
        if let signalled = applySignalsLocked() { warning = signalled }
        guard mode != .off, let arena = currentArena else { return nil }
        do {
            try recreateDeletedFilesLocked()
        } catch {
            warning = failLocked(error.description)
            return nil
        }
        if !releasedStubs.isEmpty {
            // A released stub that already carries this name: no new stub, no new line.
            if let reused = releasedStubs.take(named: sanitized) {
                publish(reused)
                return UnsafeRawPointer(bitPattern: reused)
            }
            // Renamed only past the bound: below it a new stub costs one record, as a rename
            // does, and keeps the released ones for their own names.
            if mode == .jitDump, releasedStubs.renamableCount >= releasedStubBound,
               let renamed = renameReleasedStubLocked(to: sanitized, warning: &warning) {
                publish(renamed)
                return UnsafeRawPointer(bitPattern: renamed)
            }
            if mode == .off { return nil }  // renaming failed and switched profiling off
        }
        let address: UnsafeRawPointer
        do {
            address = try arena.allocate()
        } catch {
            warning = failLocked(Self.explain(error))
            return nil
        }
        registry.append(address: UInt(bitPattern: address), size: UInt(arena.template.code.count),
                        origin: .stub, unwindRoom: arena.unwindRoom, sanitizedName: sanitized)
        do {
            try writeNewestEntryLocked(to: activeSink)
        } catch {
            warning = failLocked(error.description)
            return nil
        }
        stubIndex?[UInt(bitPattern: address)] = registry.count - 1
        publish(UInt(bitPattern: address))
        return address
    }

    /// The fork prepare handler's first step: see ``ForkWarmUp``.
    func warmUpBeforeForkLocked() {
        guard !forkWarmedUp else { return }
        ForkWarmUp.run(frame: template?.frame)
        forkWarmedUp = template != nil  // without a template yet, the jitdump part is still to do
    }

    /// Takes back the stub `load` reads (if any) and empties the slot.
    func releaseLocked(load: () -> UInt, clear: () -> Void) {
        let address = load()
        guard address != 0 else { return }
        clear()
        if stubIndex == nil { stubIndex = registry.stubIndex() }
        guard let index = stubIndex?[address] else { return }
        releasedStubs.add(address, name: Array(registry[index].name), renamable: !isInPerfMapLocked(index))
    }

    /// Whether a perf map names registry entry `index` (so its address keeps that name).
    func isInPerfMapLocked(_ index: Int) -> Bool {
        perfMap?.namesStub(at: index) ?? false
    }

    /// Jitdump mode: gives a released stub that no perf map names the new name `sanitized`
    /// (a new registry entry, written to the dump before the stub runs under it). Nil if no
    /// such stub is free, or if writing failed (then profiling is off and `warning` says why).
    func renameReleasedStubLocked(to sanitized: [UInt8], warning: inout Warning?) -> UInt? {
        guard let index = stubIndex,
              let address = releasedStubs.takeRenamable(
                  isRenamable: { index[$0].map { !isInPerfMapLocked($0) } ?? false },
                  name: { Array(registry[index[$0]!].name) })
        else { return nil }
        let old = index[address]!
        let previous = registry[old]
        registry.append(address: address, size: previous.size, origin: .stub, unwindRoom: Int(previous.unwindRoom),
                        sanitizedName: sanitized)
        do {
            try writeNewestEntryLocked(to: activeSink)
        } catch {
            releasedStubs.add(address, name: Array(previous.name), renamable: true)
            warning = failLocked(error.description)
            return nil
        }
        registry.supersede(old)
        stubIndex?[address] = registry.count - 1
        compactRegistryIfWorthItLocked()
        return address
    }

    /// Drops superseded entries once they outnumber the live ones (and are more than a few),
    /// carrying every file's position over: memory stays bounded by the live stubs.
    func compactRegistryIfWorthItLocked() {
        guard registry.supersededCount >= 1024, registry.supersededCount * 2 > registry.count else { return }
        let position = registry.compact()
        if let perfMap {
            perfMap.writtenCount = position[perfMap.writtenCount]
            perfMap.stubsLeftOutFrom = perfMap.stubsLeftOutFrom.map { position[$0] }
        }
        if let jitDump { jitDump.writtenCount = position[jitDump.writtenCount] }
        if let pending = pendingActivation, pending.creation != nil {
            pending.sink.writtenCount = position[pending.sink.writtenCount]
        }
        stubIndex = registry.stubIndex()
    }

    /// Announces another generator's code: kept in the registry, written to the perf map (opened
    /// if need be; the process then owns a map, so fork handling is arranged). Outside perf-map
    /// mode the map leaves stubs out, so that they stay renamable.
    func writeExternalEntryLocked(address: UInt, size: UInt, sanitizedName: [UInt8]) throws(PerfSupportError) {
        _ = adoptUnseenForkLocked()
        registry.append(address: address, size: size, origin: .external, sanitizedName: sanitizedName)
        if let perfMap {
            if mode != .perfMap { perfMap.leaveStubsOut() }
            do {
                try writeNewestEntryLocked(to: perfMap)
            } catch {
                throw .setupFailed(error.description, cause: error)
            }
        } else {
            do {
                perfMap = try PerfMapFile(processID: System.processID, registry: registry, directory: mapDirectory,
                                          leavingStubsOut: mode != .perfMap)
            } catch {
                registry.removeLast()
                throw .setupFailed(error)
            }
            installForkHandlersLocked()
        }
    }

    /// Writes the registry's newest entry to `sink` (nil: none is active), all or nothing: if
    /// the file cannot take it, the entry is forgotten, so no file ever names a stub that will
    /// not run, and no later write can follow a fragment.
    func writeNewestEntryLocked(to sink: SymbolSink?) throws(SystemCallError) {
        guard let sink else { return }
        let newest = registry.count - 1
        do {
            if sink.writtenCount == newest {
                try sink.appendNewest(registry[newest], at: newest)  // no copy of the registry
            } else {
                try sink.catchUp(with: registry)
            }
        } catch {
            registry.removeLast()
            throw error
        }
    }

    var statusLocked: PerfStatus {
        PerfStatus(mode: mode, backend: template?.backend,
                   stubCount: arenas.values.reduce(0) { $0 + $1.issuedCount },
                   chunkCount: arenas.values.reduce(0) { $0 + $1.chunks.count },
                   bytesPerStub: template?.stride(for: Self.layout(for: mode)),
                   symbolCount: registry.count - registry.supersededCount, metadataBytes: registry.metadataBytes,
                   perfMapPath: perfMap?.path, jitDumpPath: jitDump?.path, offReason: offReason)
    }
}
