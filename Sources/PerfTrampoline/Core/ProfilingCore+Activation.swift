/// An activation whose file is still being brought up to date (issue 23).
///
/// Switching on with many stubs made before (200,000 in perf-map mode, then jitdump) means
/// writing all of them to the newly active file first: 0.78 s here. Under one lock hold every
/// other thread's first entry of a code object would wait that long. Instead the file is
/// written in slices of ``ProfilingCore/defaultCatchUpSlice`` entries, each under the registration
/// lock, by the thread that switched (the ``PerfSupport`` front drives it): between slices
/// other threads take the lock, make their stubs in the mode still in force (named in its file,
/// and later in this one too: they are registry entries like the others), apply signals, fork.
/// The mode changes when the file holds everything. A new file is written aside, and put in
/// place only then.
final class PendingActivation {
    let mode: ProfilingMode
    let arena: CodeArena
    /// The file being caught up: the mode's open file, or a new one (`creation`).
    let sink: SymbolSink
    /// Set for a new file: where it is being written until it is put in place.
    let creation: OwnedFile.Creation?
    /// The new file, typed, to install once in place (no dynamic cast: the core builds as
    /// Embedded Swift too).
    let newPerfMap: PerfMapFile?
    let newJitDump: JitDumpFile?
    /// What to log once on (``JitDumpFile/unwinderCaveat(directory:)``).
    let caveat: String?
    /// A thread is bringing it to its end; a cold path that finds it leaves it be.
    var isDriven = false

    /// Catching up the mode's open file.
    init(mode: ProfilingMode, arena: CodeArena, openFile: SymbolSink) {
        self.mode = mode
        self.arena = arena
        sink = openFile
        creation = nil
        newPerfMap = nil
        newJitDump = nil
        caveat = nil
    }

    /// Writing a new file (a map or a dump).
    init(mode: ProfilingMode, arena: CodeArena, creation: OwnedFile.Creation, map: PerfMapFile? = nil,
         dump: JitDumpFile? = nil, caveat: String? = nil) {
        self.mode = mode
        self.arena = arena
        sink = map ?? dump!
        self.creation = creation
        newPerfMap = map
        newJitDump = dump
        self.caveat = caveat
    }
}

/// Where an activation stands after a slice.
enum ActivationStep {
    /// On; the warning to log (if any).
    case finished(ProfilingCore.Warning?)
    /// The file has more to catch up: the caller (now its driver) continues outside the lock.
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

    /// Starts switching on in `requested` (replacing any activation in progress) and writes the
    /// first slice; if more is to come, the caller drives it (``continueActivationLocked(slice:)``
    /// until finished, releasing the lock in between). On failure the previous state is kept.
    func startActivationLocked(_ requested: ProfilingMode, slice: Int? = nil) throws(PerfSupportError) -> ActivationStep {
        if requested == .off {
            deactivateLocked()
            return .finished(nil)
        }
        abandonActivationLocked()
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
        // A file deleted while profiling was off (a cleanup script) is made again, complete,
        // instead of catching up a file nobody can open (issue 23).
        if requested == .perfMap, perfMap?.file.isDeleted == true { perfMap = nil }
        if requested == .jitDump, jitDump?.file.isDeleted == true { jitDump = nil }
        let pending: PendingActivation
        do {
            pending = try pendingActivation(for: requested, in: arena, frame: template.frame)
        } catch {
            throw .setupFailed(error.description, cause: error.underlying)
        }
        pendingActivation = pending
        pending.isDriven = true
        return try continueActivationLocked(slice: slice ?? catchUpSlice)
    }

    /// The file `requested` writes, open or new, with nothing written to a new one yet.
    private func pendingActivation(for requested: ProfilingMode, in arena: CodeArena, frame: FrameDescription?)
        throws(OwnedFile.Refusal) -> PendingActivation {
        switch requested {
        case .perfMap:
            if let perfMap {
                do { try perfMap.includeStubs(from: registry) } catch {
                    throw OwnedFile.Refusal(description: error.description, underlying: error)
                }
                return PendingActivation(mode: requested, arena: arena, openFile: perfMap)
            }
            let creation = try PerfMapFile.beginCreate(processID: System.processID, directory: mapDirectory)
            return PendingActivation(mode: requested, arena: arena, creation: creation, map: PerfMapFile(creating: creation))
        case .jitDump, .off:
            if let jitDump {
                return PendingActivation(mode: requested, arena: arena, openFile: jitDump)
            }
            let creation = try JitDumpFile.beginCreate(processID: System.processID, directory: dumpDirectory)
            let dump = try JitDumpFile(creating: creation, processID: System.processID, frame: frame!)
            return PendingActivation(mode: requested, arena: arena, creation: creation, dump: dump,
                                     caveat: JitDumpFile.unwinderCaveat(directory: dumpDirectory))
        }
    }

    /// Writes the next `slice` entries the pending activation's file lacks; once it holds every
    /// entry, puts a new file in place and switches on. On failure the activation is dropped
    /// (a new file with it) and the previous state is kept.
    func continueActivationLocked(slice: Int? = nil) throws(PerfSupportError) -> ActivationStep {
        guard let pending = pendingActivation else { return .finished(nil) }
        do {
            try pending.sink.catchUp(with: registry, limit: slice ?? catchUpSlice)
        } catch {
            abandonActivationLocked()
            throw .setupFailed(error.description, cause: error)
        }
        guard pending.sink.isUpToDate(with: registry) else { return .inProgress(pending) }
        pendingActivation = nil
        if let creation = pending.creation {
            do { try pending.sink.place(creation) } catch { throw .setupFailed(error) }
            if let map = pending.newPerfMap { perfMap = map }
            if let dump = pending.newJitDump { jitDump = dump }
        }
        if pending.mode == .perfMap, let perfMap {
            // Another generator's entry while jitdump mode was still in force left stubs out.
            do { try perfMap.includeStubs(from: registry) } catch { throw .setupFailed(error.description, cause: error) }
        }
        installForkHandlersLocked()
        mode = pending.mode
        currentArena = pending.arena
        offReason = nil
        lastWarning = nil
        setActive(true)
        return .finished(pending.caveat.flatMap(warningLocked))
    }

    /// The activation in progress, for a thread to drive, if nobody drives it (one a signal
    /// started in a cold path or the fork prepare handler).
    func claimActivationLocked() -> PendingActivation? {
        guard let pending = pendingActivation, !pending.isDriven else { return nil }
        pending.isDriven = true
        return pending
    }

    /// The fork prepare handler: an activation nobody drives (a signal's, started just now) is
    /// finished before the fork, so that the parent is on like the child, cold path or not.
    func finishUndrivenActivationLocked() -> Warning? {
        guard claimActivationLocked() != nil else { return nil }
        do {
            if case .finished(let warning) = try continueActivationLocked(slice: .max) { return warning }
            return nil
        } catch {
            return failSignalledActivationLocked(error.reason)
        }
    }

    /// Drops the activation in progress; a new file it was writing is removed.
    func abandonActivationLocked() {
        pendingActivation?.creation?.abandon()
        pendingActivation = nil
    }

    /// The mode in force once the activation in progress (if any) finishes.
    var targetModeLocked: ProfilingMode { pendingActivation?.mode ?? mode }
}
