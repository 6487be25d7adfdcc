/// An activation whose file is still being brought up to date (issue 23).
///
/// Switching on with many stubs made before (200,000 in perf-map mode, then jitdump) means
/// writing all of them to the newly active file first: 0.46–0.61 s in a debug build. Under one
/// lock hold every other thread's first entry of a code object would wait that long. Instead
/// the file is written in slices of ``ProfilingCore/defaultCatchUpSlice`` entries, each under
/// the registration lock, by the thread that switched (the ``PerfSupport`` front drives it):
/// between slices other threads take the lock, make their stubs in the mode still in force
/// (named in its file, and later in this one too: they are registry entries like the others),
/// apply signals. The mode changes when the file holds everything.
///
/// A perf map is claimed in place and caught up like an open one (it may be shared with another
/// writer in the process, so it is never renamed over); if the activation is dropped it stays
/// open, behind, with whole true lines, for the next activation to continue. A new jitdump is
/// written aside and renamed into place when complete (its marker mapped then).
final class PendingActivation {
    /// How it ended, for a driver that finds it gone.
    enum Outcome {
        case finished
        case failed(PerfSupportError)
        /// Replaced or switched off.
        case dropped
    }

    let mode: ProfilingMode
    let arena: CodeArena
    /// The file being caught up.
    let sink: SymbolSink
    /// A new dump being written aside, and the dump itself, to install once in place (typed:
    /// the core builds as Embedded Swift too, without dynamic casts).
    let creation: OwnedFile.Creation?
    let newJitDump: JitDumpFile?
    /// What to log once on (``JitDumpFile/unwinderCaveat(directory:)``).
    let caveat: String?
    /// Started by the signal switch, and no `activate` joined it: a failure switches off with a
    /// warning, and the fast path's flag stays set meanwhile, so that a cold path comes to drive
    /// it. An `activate` that joins clears it: then a failure throws to that caller.
    var bySignal: Bool
    /// A thread is bringing it to its end; a cold path that finds it leaves it be.
    var isDriven = false
    var outcome: Outcome?

    init(mode: ProfilingMode, arena: CodeArena, openFile: SymbolSink, bySignal: Bool) {
        self.mode = mode
        self.arena = arena
        sink = openFile
        creation = nil
        newJitDump = nil
        caveat = nil
        self.bySignal = bySignal
    }

    init(mode: ProfilingMode, arena: CodeArena, creating creation: OwnedFile.Creation, dump: JitDumpFile, caveat: String?,
         bySignal: Bool) {
        self.mode = mode
        self.arena = arena
        sink = dump
        self.creation = creation
        newJitDump = dump
        self.caveat = caveat
        self.bySignal = bySignal
    }
}

/// Where an activation stands after a slice.
enum ActivationStep {
    /// Done (on, or for a signal's activation that failed: off); the warning to log, if any.
    case finished(ProfilingCore.Warning?)
    /// The file has more to catch up: a driver continues outside the lock.
    case inProgress(PendingActivation)
}

extension ProfilingCore {
    /// Entries written per lock hold while an activation catches up: about 0.54 ms of jitdump
    /// records, 0.13 ms of perf map lines (debug build, 200,000 entries; with 1,024 another
    /// thread's first entry waited up to 4.8 ms, with 256 up to 2.6 ms; the whole activation
    /// took as long).
    static let defaultCatchUpSlice = 256

    /// Switches on in `requested`, entirely under the lock (a fork child's own files, tests).
    /// Returns a warning to log when it worked but perf may not follow what it set up.
    @discardableResult
    func activateLocked(_ requested: ProfilingMode) throws(PerfSupportError) -> Warning? {
        switch try startActivationLocked(requested, slice: .max) {
        case .finished(let warning): return warning
        case .inProgress: return nil  // not reached: an unbounded slice finishes
        }
    }

    /// Starts switching on in `requested` and writes the first slice; if more is to come, the
    /// caller drives it (``continueActivationLocked(slice:)`` until finished, releasing the lock
    /// in between). An activation of the same mode in progress is joined, one of another mode is
    /// replaced once the new one's file is open. On failure the previous state is kept (and an
    /// activation in progress goes on).
    func startActivationLocked(_ requested: ProfilingMode, bySignal: Bool = false, slice: Int? = nil)
        throws(PerfSupportError) -> ActivationStep {
        if requested == .off {
            deactivateLocked()
            return .finished(nil)
        }
        if let pending = pendingActivation, pending.mode == requested {
            if !bySignal {
                pending.isDriven = true
                pending.bySignal = false
            }
            return try continueActivationLocked(slice: slice)
        }
        if template == nil {
            do { template = try BackendSelection.choose() } catch {
                throw .unsupported(error.description)
            }
        }
        guard let template else { return .finished(nil) }
        let layout = Self.layout(for: requested)
        if requested == .jitDump && template.frame == nil {
            throw .unsupported("no unwind description for the \(template.backend) trampoline; jitdump mode needs one")
        }
        let arena = arenas[layout] ?? CodeArena(template: template, layout: layout)
        arenas[layout] = arena
        // Map a chunk now, so that a refused mmap/mprotect is reported here, not mid-run.
        do { try arena.reserveChunk() } catch { throw .setupFailed(Self.explain(error), cause: error) }
        if requested == mode {
            // On in that mode already: its file is up to date, unless it was deleted (a
            // cleanup script): then it is made again, complete, now (issue 23). If that fails
            // there is no file to name stubs in: off (never on without one).
            do {
                try recreateDeletedFileLocked()
            } catch {
                _ = failLocked(error.description)
                throw .setupFailed(error)
            }
            dropActivationLocked()
            offReason = nil
            lastWarning = nil
            syncSwitchLocked()
            return .finished(nil)
        }
        let pending: PendingActivation
        do {
            pending = try pendingActivation(for: requested, in: arena, frame: template.frame, bySignal: bySignal,
                                            inOneHold: slice == .max)
        } catch {
            throw .setupFailed(error.description, cause: error.underlying)
        }
        dropActivationLocked()
        pendingActivation = pending
        pending.isDriven = !bySignal
        // Before anything is in progress: the prepare handler finishes it before a fork, the
        // `atexit` handler drops it.
        installForkHandlersLocked()
        syncSwitchLocked()
        return try continueActivationLocked(slice: slice)
    }

    /// The file `requested` writes: open (a deleted one is replaced: it is not the active file),
    /// or claimed now (a perf map, in place) or begun aside (a jitdump), with nothing in it yet.
    /// `inOneHold` (a fork child's own files): a new map is written complete, aside, and
    /// renamed into place, so that a child killed half-way leaves no torn line.
    private func pendingActivation(for requested: ProfilingMode, in arena: CodeArena, frame: FrameDescription?,
                                   bySignal: Bool, inOneHold: Bool) throws(OwnedFile.Refusal) -> PendingActivation {
        switch requested {
        case .perfMap:
            if perfMap?.file.isDeleted == true { perfMap = nil }
            let map: PerfMapFile
            if let perfMap {
                do { try perfMap.includeStubs(from: registry) } catch {
                    throw OwnedFile.Refusal(description: error.description, underlying: error)
                }
                map = perfMap
            } else {
                map = inOneHold
                    ? try PerfMapFile(processID: System.processID, registry: registry, directory: mapDirectory)
                    : try PerfMapFile.claim(processID: System.processID, directory: mapDirectory)
                perfMap = map
            }
            return PendingActivation(mode: requested, arena: arena, openFile: map, bySignal: bySignal)
        case .jitDump, .off:
            if jitDump?.file.isDeleted == true { jitDump = nil }
            if let jitDump {
                return PendingActivation(mode: requested, arena: arena, openFile: jitDump, bySignal: bySignal)
            }
            let creation = try JitDumpFile.beginCreate(processID: System.processID, directory: dumpDirectory)
            let dump = try JitDumpFile(creating: creation, processID: System.processID, frame: frame!)
            return PendingActivation(mode: requested, arena: arena, creating: creation, dump: dump,
                                     caveat: JitDumpFile.unwinderCaveat(directory: dumpDirectory), bySignal: bySignal)
        }
    }

    /// Writes the next `slice` entries the pending activation's file lacks; once it holds every
    /// entry, puts a new dump in place and switches on. On failure the activation is dropped (a
    /// new dump with it): an `activate`'s throws, the previous state kept; a signal's switches
    /// off and returns the warning.
    func continueActivationLocked(slice: Int? = nil) throws(PerfSupportError) -> ActivationStep {
        guard let pending = pendingActivation else { return .finished(nil) }
        do {
            try pending.sink.catchUp(with: registry, limit: slice ?? catchUpSlice)
        } catch {
            return try failActivationLocked(pending, .setupFailed(error.description, cause: error))
        }
        guard pending.sink.isUpToDate(with: registry) else { return .inProgress(pending) }
        if let creation = pending.creation {
            do { try pending.sink.place(creation) } catch {
                return try failActivationLocked(pending, .setupFailed(error))
            }
            jitDump = pending.newJitDump
        }
        if pending.mode == .perfMap, let perfMap {
            // Another generator's entry while the other mode was in force left stubs out.
            do { try perfMap.includeStubs(from: registry) } catch {
                return try failActivationLocked(pending, .setupFailed(error.description, cause: error))
            }
        }
        pendingActivation = nil
        pending.outcome = .finished
        installForkHandlersLocked()
        mode = pending.mode
        currentArena = pending.arena
        offReason = nil
        lastWarning = nil
        syncSwitchLocked()
        return .finished(pending.caveat.flatMap(warningLocked))
    }

    private func failActivationLocked(_ pending: PendingActivation, _ error: PerfSupportError)
        throws(PerfSupportError) -> ActivationStep {
        pendingActivation = nil
        pending.creation?.abandon()
        pending.outcome = .failed(error)
        if pending.bySignal { return .finished(failLocked(error.reason)) }
        offReason = error.description
        syncSwitchLocked()
        throw error
    }

    /// The activation in progress, for a thread to drive, if nobody drives it (one a signal
    /// started in a cold path or an API call).
    func claimActivationLocked() -> PendingActivation? {
        guard let pending = pendingActivation, !pending.isDriven else { return nil }
        pending.isDriven = true
        return pending
    }

    /// The fork prepare handler: an activation in progress is finished before the fork (one
    /// lock hold), so that the child starts on like the parent; the child's copy of its driver
    /// thread would not exist. Returns the warning to log.
    func finishActivationBeforeForkLocked() -> Warning? {
        guard pendingActivation != nil else { return nil }
        do {
            if case .finished(let warning) = try continueActivationLocked(slice: .max) { return warning }
        } catch {
            // An `activate` whose file failed: recorded (status, and the driver throws it).
        }
        return nil
    }

    /// Drops the activation in progress; a new dump it was writing aside is removed (a perf map
    /// stays open, behind, every line whole and true).
    func dropActivationLocked() {
        guard let pending = pendingActivation else { return }
        pendingActivation = nil
        pending.creation?.abandon()
        pending.outcome = .dropped
    }

    /// The mode in force once the activation in progress (if any) finishes.
    var targetModeLocked: ProfilingMode { pendingActivation?.mode ?? mode }
}
