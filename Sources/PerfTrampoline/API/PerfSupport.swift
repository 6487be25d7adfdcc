import CShims
import Synchronization

/// The process-wide profiling switch: trampolines, their names, on and off.
///
/// One instance per process, ``shared``, because the files it writes are per process. A host
/// interpreter calls ``configure(arguments:environment:)`` at start-up, keeps a reference to
/// the instance, embeds a ``TrampolineSlot`` in each code object, and calls through
/// ``stub(for:name:)`` on every interpreted call:
///
/// ```swift
/// let perf = PerfSupport.shared
/// perf.configure(arguments: interpreterOptions, environment: ProcessInfo.processInfo.environment)
///
/// // in the call path:
/// if let stub = perf.stub(for: code.perfSlot, name: code.perfName) {
///     return stub(vm, code, argument, evaluate)   // evaluate: PerfEvaluator
/// }
/// return evaluate(vm, code, argument)
/// ```
///
/// Failure policy: a setup failure never stops or changes the host program. ``configure``
/// logs one warning and leaves profiling off; a failure after activation (arena exhausted and
/// `mmap` refused, disk full) logs one warning and switches profiling off; ``status`` says why.
public final class PerfSupport: @unchecked Sendable {
    /// The process's profiling switch.
    public static let shared = PerfSupport()

    // The fast path reads only the active flag (a C int shared with the C API's inline fast
    // path and the signal switch's handler) and slots; everything else is the core's, guarded
    // by `lock`.
    let lock = ForkSafeLock()
    /// Held around a C host's lazy name writer (``perftrampoline_make_stub_lazy``), so that
    /// threads entering one code object for the first time at once run its writer exactly once
    /// (issue 25). Not the registration lock: the writer is host code, and may call the library.
    /// Taken before `lock`, never after it.
    let namingLock = ForkSafeLock()
    let core = ProfilingCore(effects: ProfilingCore.ProcessEffects(
        setActiveFlag: { perftrampoline_set_active_flag($0 ? 1 : 0) },
        installForkHandlers: { ForkHandlers.install() }),
        releasedStubBound: Environment.current.keptReleasedStubs ?? ReleasedStubs.defaultBound,
        catchUpSlice: Environment.current.catchUpSlice ?? ProfilingCore.defaultCatchUpSlice)

    private init() {}

    // MARK: - Fast path

    /// Whether trampolines are being used and named now.
    @inlinable
    public var isActive: Bool { perftrampoline_flag_is_set() != 0 }

    /// The trampoline to call `code` through, or nil to call the evaluator directly.
    ///
    /// Profiling off: one load, nil. On, and the code object was entered before: one more
    /// load, its trampoline. On, first entry: the cold path takes a fresh copy from the arena,
    /// names it (the map line is written before this returns) and publishes it in the slot.
    /// If that fails, profiling is switched off with one warning and nil is returned, so the
    /// caller simply runs unprofiled.
    ///
    /// - Parameters:
    ///   - slot: the code object's cache.
    ///   - name: the symbol, e.g. `toy::fib:examples/fib.toy`; evaluated only on first entry.
    @inlinable
    @inline(__always)
    public func stub(for slot: borrowing TrampolineSlot, name: @autoclosure () -> String) -> PerfStub? {
        guard perftrampoline_flag_is_set() != 0 else { return nil }
        if let stub = slot.stub { return stub }
        return makeStub(for: slot, name: name())
    }

    @usableFromInline
    func makeStub(for slot: borrowing TrampolineSlot, name: String) -> PerfStub? {
        let address = makeStub(load: { slot.bits.load(ordering: .acquiring) },
                               publish: { slot.bits.store($0, ordering: .releasing) }, name: name)
        return address.map { unsafeBitCast($0, to: PerfStub.self) }
    }

    /// The cold path for any kind of slot (Swift's `TrampolineSlot`, the C API's struct).
    ///
    /// If a signal switched profiling on and its files have much to catch up, the first cold
    /// path to find that drives the catch-up (``drive(_:)``), then makes its stub; other
    /// threads' cold paths meanwhile get nil at once (they run unprofiled, as while off) unless
    /// `drivesActivation` is false (the C lazy path, which holds the naming lock here).
    func makeStub(load: () -> UInt, publish: (UInt) -> Void, name: String, drivesActivation: Bool = true) -> UnsafeRawPointer? {
        let sanitized = SymbolName.sanitized(name)
        // At most twice: a signal's activation found here is driven, then the stub made again.
        for attempt in 0..<2 {
            var warning: ProfilingCore.Warning?
            var unclaimed: PendingActivation?
            let stub = lock.withLock {
                let made = core.makeStubLocked(load: load, publish: publish, sanitizedName: sanitized, warning: &warning)
                if made == nil && drivesActivation && attempt == 0 { unclaimed = core.claimActivationLocked() }
                return made
            }
            log(warning)
            guard let unclaimed else { return stub }
            driveSignalled(unclaimed)
        }
        return nil
    }

    /// Brings `pending` to its end, one slice per lock hold, so that other threads' cold paths
    /// wait for one slice at most (issue 23). Applies signals between slices: an OFF that
    /// arrives meanwhile stops it at once. Returns the warning to log (a signal's activation
    /// that failed is off with a warning); throws if an `activate`'s file could not be written
    /// (the previous state kept), here or in another thread's slice. Returns early, without
    /// error, if the activation was replaced (another `activate`, a `deactivate`, an OFF).
    /// If signals applied between slices replaced it with an activation nobody drives (an OFF
    /// then an ON), that one is driven next.
    func drive(_ pending: PendingActivation) throws(PerfSupportError) -> ProfilingCore.Warning? {
        var current = pending
        while true {
            lock.lock()
            let signalled = core.applySignalsLocked()
            guard core.pendingActivation === current else {
                let next = core.claimActivationLocked()
                lock.unlock()
                log(signalled)
                if case .failed(let error) = current.outcome, !current.bySignal { throw error }
                guard let next else { return nil }
                current = next
                continue
            }
            let step: ActivationStep
            do {
                step = try core.continueActivationLocked()
            } catch {
                lock.unlock()
                log(signalled)
                throw error
            }
            lock.unlock()
            log(signalled)
            if case .finished(let warning) = step { return warning }
            lock.yieldToWaiters()
        }
    }

    /// Drives an activation a signal started (its failure is a warning, never thrown).
    func driveSignalled(_ pending: PendingActivation) {
        log((try? drive(pending)) ?? nil)
    }

    /// Drives the activation a signal started, if nobody drives it; whether there was one.
    @discardableResult
    func driveUnclaimedActivation() -> Bool {
        guard let pending = lock.withLock({ core.claimActivationLocked() }) else { return false }
        driveSignalled(pending)
        return true
    }

    /// Logs a warning the core returned, outside the lock: a log handler may read `status`.
    func log(_ warning: ProfilingCore.Warning?) {
        if let (sink, message) = warning { sink.write(message) }
    }

    /// Gives back `slot`'s trampoline when its code object is freed (a REPL's, an `eval`'s, a
    /// reloaded handler's). The stub stays mapped and named: it is reused for the next code
    /// object with the same sanitised name, so re-creating a function costs no new stub and no
    /// new map line, and memory stays bounded by the number of distinct names.
    ///
    /// A perf map has no timestamps, so a stub it names keeps that name: if the name never
    /// comes back, the stub stays reserved. In jitdump mode a released stub that no perf map
    /// names is also reused for *any* new name: the dump gets a fresh load record (and unwind
    /// info) for it, timestamped, so `perf inject --jit` attributes samples before the reuse
    /// to the old name and samples after it to the new one. Memory is then bounded by the
    /// number of code objects alive at once.
    ///
    /// Call it only when no frame of the code object is running.
    public func release(_ slot: borrowing TrampolineSlot) {
        guard slot.bits.load(ordering: .acquiring) != 0 else { return }  // never had one: no lock
        release(load: { slot.bits.load(ordering: .acquiring) }, clear: { slot.bits.store(0, ordering: .releasing) })
    }

    /// `release` for any kind of slot (the C API's too).
    func release(load: () -> UInt, clear: () -> Void) {
        lock.withLock { core.releaseLocked(load: load, clear: clear) }
    }

    /// Creates `slot`'s trampoline and its entry now, before the code object's first call —
    /// for servers that warm up before forking, so parent and children share the stubs.
    ///
    /// - Returns: whether the slot holds a trampoline afterwards (false while profiling is off).
    @discardableResult
    public func prepare(_ slot: borrowing TrampolineSlot, name: String) -> Bool {
        stub(for: slot, name: name) != nil
    }

    // MARK: - Switching

    /// `configure` without the logger (SwiftFront/ adds it; the C API calls this): reads the
    /// switches, warns through the current sink, never throws. Returns the mode in force.
    /// `perfSupport` and `signalSwitch` are the values of `PERFSUPPORT` and `PERFTRAMPOLINE_SIGNAL`
    /// (nil: unset).
    func applyConfiguration(arguments: [String], perfSupport: String?, signalSwitch: String?) -> ProfilingMode {
        let requested: ProfilingMode?
        do {
            requested = try ProfilingMode.requested(arguments: arguments, perfSupport: perfSupport)
        } catch {
            warn("ignoring \(error)")
            return currentMode
        }
        if let name = signalSwitch, !name.isEmpty {
            if let signal = System.signalNumber(named: name) {
                do {
                    try installSignalSwitch(signal, mode: requested ?? .perfMap)
                } catch {
                    warn(error.description)
                }
            } else {
                warn("ignoring PERFTRAMPOLINE_SIGNAL=\(name.escapingLineBreakers): not a signal the switch can use "
                     + "(a name such as USR2 or a number; fault signals, KILL and STOP are refused)")
            }
        }
        guard let requested else { return currentMode }
        do {
            try activate(requested)
        } catch {
            warn(error.description)
        }
        return currentMode
    }

    /// Sets the logger that receives the library's warnings (default: stderr).
    func setWarningSink(_ sink: WarningSink) {
        lock.withLock { core.warningSink = sink }
    }

    /// Switches profiling on in `mode` (``ProfilingMode/off`` is ``deactivate()``).
    ///
    /// Activating again, or in another mode, is fine: existing trampolines are reused and the
    /// newly active file is brought up to date with every entry it lacks, so no code object is
    /// ever named twice in one file. That catch-up is written 256 entries per hold of the lock
    /// other threads' first entries need, so they run in between, in the mode in force until
    /// the new file is complete; a call for the mode already being switched to joins it. On
    /// failure the previous state is kept and ``status`` records why.
    public func activate(_ mode: ProfilingMode) throws(PerfSupportError) {
        guard mode != .off else { return deactivate() }
        lock.lock()
        _ = core.applySignalsLocked()
        let step: ActivationStep
        do {
            step = try core.startActivationLocked(mode)
        } catch {
            core.offReason = error.description
            lock.unlock()
            throw error
        }
        lock.unlock()
        switch step {
        case .finished(let caveat):
            log(caveat)
        case .inProgress(let pending):
            log(try drive(pending))  // a failure is already in `status` (recorded under the lock)
        }
    }

    /// Switches profiling off. Code objects first entered while off get no trampoline and no
    /// entry; trampolines already made stay mapped (frames may still be running in them) and
    /// are reused on re-activation. Files stay open, so toggling costs no descriptors.
    public func deactivate() {
        lock.withLock {
            _ = core.applySignalsLocked()
            core.deactivateLocked()
        }
    }

    // MARK: - Signal switch

    /// Lets a signal switch profiling on and off in a running process, in `mode`: each delivery
    /// of `signal` toggles it (`kill -USR2 PID`, then `perf record -g -p PID`, then `kill -USR2
    /// PID` again). `configure` installs it from `PERFTRAMPOLINE_SIGNAL=USR2` (any signal name,
    /// with or without `SIG`, or a number), in the mode `PERFSUPPORT` names (perf map if unset).
    ///
    /// The handler is async-signal-safe: it flips the fast path's flag and records the request,
    /// nothing else. Switching on takes effect at once for code objects that already have a
    /// trampoline (they are named in the files, which stay open while off); the files are opened
    /// and caught up at the next first entry of a code object, or when the host calls
    /// ``applyPendingSwitch()`` from a safe point. Functions entered after the switch are named;
    /// frames already on the stack are named once they are re-entered.
    public func installSignalSwitch(_ signal: Int32, mode: ProfilingMode = .perfMap) throws(PerfSupportError) {
        try lock.withLock { () throws(PerfSupportError) in try core.installSignalSwitchLocked(signal, mode: mode) }
        driveUnclaimedActivation()  // one a signal delivered before the install asked for
    }

    /// Applies signals that arrived since the last cold path (opening the files if one switched
    /// profiling on). Optional: the next first entry of a code object does the same.
    public func applyPendingSwitch() {
        log(lock.withLock { core.applySignalsLocked() })
        driveUnclaimedActivation()
    }

    /// The current state (mode, backend, counts, paths, and why it is off), after applying
    /// any signal-switch request still pending (see ``applyPendingSwitch()``).
    public var status: PerfStatus {
        applyPendingSwitch()
        return lock.withLock { core.statusLocked }
    }

    var currentMode: ProfilingMode { lock.withLock { core.mode } }

    func warn(_ message: String) {
        log(lock.withLock { core.warningLocked(message) })
    }

    // MARK: - Entries from other code generators

    /// Announces code made by another generator in this process (a JIT), under `name`, in
    /// the perf map shared with the trampolines (one lock, one file, sanitised like ours).
    ///
    /// The entry is written now if a map is open and kept for files opened later (a fork
    /// child's map, a later activation).
    public func writePerfMapEntry(address: UnsafeRawPointer, size: Int, name: String) throws(PerfSupportError) {
        guard size > 0 else { throw .invalidArgument("a perf map entry needs a non-zero size") }
        let sanitized = SymbolName.sanitized(name)
        lock.lock()
        defer { lock.unlock() }
        try core.writeExternalEntryLocked(address: UInt(bitPattern: address), size: UInt(size), sanitizedName: sanitized)
    }
}
