import CShims
import Logging

// The core behind the public front (API/PerfSupport.swift): the mode state machine, the files,
// rollback, explanations, warnings and fork re-opening. Everything here runs with
// `PerfSupport.lock` held unless it says otherwise.
extension PerfSupport {
    // MARK: - Internals (lock held)

    /// Writes the registry's newest entry to `sink` (nil: none is active), all or nothing: if
    /// the file cannot take it, the entry is forgotten, so no file ever names a stub that will
    /// not run, and no later write can follow a fragment.
    func writeNewestEntryLocked(to sink: (any SymbolSink)?) throws(SystemCallError) {
        do {
            try sink?.catchUp(with: registry)
        } catch {
            registry.removeLast()
            throw error
        }
    }

    /// A map or dump deleted while we run (a cleanup script, a user) would silently take every
    /// later entry with it: the current mode's file is checked on each new stub (one `fstat`),
    /// and created again, with every entry, when its name is gone.
    func recreateDeletedFilesLocked() throws(OwnedFile.Refusal) {
        if mode == .perfMap, let map = perfMap, map.file.isDeleted {
            perfMap = nil
            perfMap = try PerfMapFile(processID: System.processID, registry: registry)
        }
        if mode == .jitDump, let dump = jitDump, dump.file.isDeleted, let frame = template?.frame {
            jitDump = nil
            jitDump = try JitDumpFile(processID: System.processID, frame: frame, registry: registry)
        }
    }

    /// A failure's one-line reason, with what to do where the cause is a known policy.
    static func explain(_ error: SystemCallError) -> String {
        error.refusesExecutableMemory
            ? "the kernel refuses to make memory executable (mprotect PROT_EXEC: \(error.reasonText)); a policy such "
                + "as systemd's MemoryDenyWriteExecute=, prctl(PR_SET_MDWE) or SELinux's execmem denial is in force. "
                + "The program runs unchanged; perf still samples it, without interpreted names"
            : "\(error)"
    }

    /// The file kept up to date in the current mode. Jitdump mode writes only the dump (its
    /// records carry timestamps, so a released stub can be renamed; a map, which has none,
    /// could not follow): profile it with `perf inject --jit`.
    var activeSink: (any SymbolSink)? {
        switch mode {
        case .off: nil
        case .perfMap: perfMap
        case .jitDump: jitDump
        }
    }

    /// Whether a perf map names registry entry `index` (so its address keeps that name).
    func isInPerfMapLocked(_ index: Int) -> Bool {
        guard let perfMap else { return false }
        return index < perfMap.writtenCount
    }

    /// Jitdump mode: gives a released stub that no perf map names the new name `sanitized`
    /// (a new registry entry, written to the dump before the stub runs under it). Nil if no
    /// such stub is free, or if writing failed (then profiling is off and `warning` says why).
    func renameReleasedStubLocked(to sanitized: [UInt8], warning: inout (Logger, String)?) -> UInt? {
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
            warning = failLocked("\(error)")
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
        if let perfMap { perfMap.writtenCount = position[perfMap.writtenCount] }
        if let jitDump { jitDump.writtenCount = position[jitDump.writtenCount] }
        stubIndex = registry.stubIndex()
    }

    /// Stubs made in jitdump mode are spaced for perf inject's unwind mappings.
    static func layout(for mode: ProfilingMode) -> StubLayout {
        mode == .jitDump ? .jitDump : .compact
    }

    func activateLocked(_ requested: ProfilingMode) throws(PerfSupportError) {
        if requested == .off { return }
        if template == nil {
            do { template = try BackendSelection.choose() } catch {
                throw .unsupported(error.description)
            }
        }
        guard let template else { return }
        let layout = Self.layout(for: requested)
        if requested == .jitDump && template.frame == nil {
            throw .unsupported("no unwind description for the \(template.backend) trampoline; jitdump mode needs one")
        }
        let arena = arenas[layout] ?? CodeArena(template: template, layout: layout)
        arenas[layout] = arena
        // Map a chunk now, so that a refused mmap/mprotect is reported here, not mid-run.
        do { try arena.reserveChunk() } catch { throw .setupFailed(Self.explain(error)) }
        do {
            switch requested {
            case .off: break
            case .perfMap:
                if let perfMap {
                    try perfMap.catchUp(with: registry)
                } else {
                    perfMap = try PerfMapFile(processID: System.processID, registry: registry)
                }
            case .jitDump:
                if let jitDump {
                    try jitDump.catchUp(with: registry)
                } else {
                    jitDump = try JitDumpFile(processID: System.processID, frame: template.frame!, registry: registry)
                }
            }
        } catch {
            throw .setupFailed("\(error)")
        }
        installForkHandlersLocked()
        mode = requested
        offReason = nil
        lastWarning = nil
        setActive(true)
    }

    /// The Swift flag and its mirror for the C API's inline fast path.
    func setActive(_ active: Bool) {
        perftrampoline_set_active_flag(active ? 1 : 0)
        if signalSwitch != nil { perftrampoline_signal_switch_set_state(active ? 1 : 0) }
    }

    /// A failure after activation: off, status says why; returns the warning for the caller
    /// to log once it has released the lock (nil if it repeats the last one).
    func failLocked(_ reason: String) -> (Logger, String)? {
        mode = .off
        setActive(false)
        offReason = reason
        return warningLocked("perf support disabled: \(reason)")
    }

    /// The warning to log, unless it is the same as the last one: a host retrying a switch
    /// that cannot work (2,000 `activate` calls under MDWE) gets one line, not 2,000. A
    /// successful activation forgets it.
    func warningLocked(_ message: String) -> (Logger, String)? {
        guard message != lastWarning else { return nil }
        lastWarning = message
        return (logger, message)
    }

    func warn(_ message: String) {
        if let (logger, message) = lock.withLock({ warningLocked(message) }) { logger.warning("\(message)") }
    }

    // MARK: - Fork

    func installForkHandlersLocked() {
        guard !forkHandlersInstalled else { return }
        forkHandlersInstalled = true
        ForkHandlers.install()
    }

    /// In the fork child, with the lock re-created: the parent's descriptors are closed (its
    /// files are not ours to write), and if profiling is on, this process's own files are
    /// opened and given every entry the parent had — the stubs are still mapped and cached,
    /// so the child can run all of them.
    func reopenAfterFork() -> (Logger, String)? {
        perfMap = nil
        jitDump = nil
        guard mode != .off else { return nil }
        let requested = mode
        mode = .off
        setActive(false)
        do {
            try activateLocked(requested)
            return nil
        } catch {
            return failLocked(error.description)
        }
    }
}
