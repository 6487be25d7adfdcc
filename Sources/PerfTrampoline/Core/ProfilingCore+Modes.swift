import CShims

// Switching: activation and its files, the signal switch, failures, fork re-opening. Every
// method runs with the registration lock held.
extension ProfilingCore {
    /// Stubs made in jitdump mode are spaced for perf inject's unwind mappings.
    static func layout(for mode: ProfilingMode) -> StubLayout {
        mode == .jitDump ? .jitDump : .compact
    }

    /// The file kept up to date in the current mode. Jitdump mode writes only the dump (its
    /// records carry timestamps, so a released stub can be renamed; a map, which has none,
    /// could not follow): profile it with `perf inject --jit`.
    var activeSink: SymbolSink? {
        switch mode {
        case .off: nil
        case .perfMap: perfMap
        case .jitDump: jitDump
        }
    }

    /// Off at once; an activation in progress is dropped.
    func deactivateLocked() {
        dropActivationLocked()
        mode = .off
        syncSwitchLocked()
    }

    /// A map or dump deleted while we run (a cleanup script, a user) would silently take every
    /// later entry with it: the current mode's file is checked (one `fstat`) on a new stub at
    /// most every 100 ms, and created again, with every entry, when its name is gone. Entries
    /// written in between went to the deleted file and are in the new one too; the throttle
    /// saves the `fstat` (0.4 µs here) on most first entries (issue 17).
    func recreateDeletedFilesLocked() throws(OwnedFile.Refusal) {
        let now = System.monotonicNanoseconds()
        guard now &- lastDeletionCheck >= deletionCheckInterval else { return }
        lastDeletionCheck = now
        try recreateDeletedFileLocked()
    }

    /// The current mode's file made again, complete, if it was deleted (one `fstat`).
    func recreateDeletedFileLocked() throws(OwnedFile.Refusal) {
        if mode == .perfMap, let map = perfMap, map.file.isDeleted {
            perfMap = nil
            perfMap = try PerfMapFile(processID: System.processID, registry: registry, directory: mapDirectory)
        }
        if mode == .jitDump, let dump = jitDump, dump.file.isDeleted, let frame = template?.frame {
            jitDump = nil
            jitDump = try JitDumpFile(processID: System.processID, frame: frame, registry: registry, directory: dumpDirectory)
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

    /// Brings the fast path's flag and the signal switch's recorded state in line with the
    /// core: the flag is set while a mode is in force, and while a signal's activation is in
    /// progress (a cold path comes to drive it); the switch records the target mode, so that
    /// its next delivery is the opposite. Recorded only if no delivery came since the applied
    /// one: a newer request is applied next, never overwritten (issue 23).
    ///
    /// If a delivery did come, the flag is what that delivery's handler made it (this store may
    /// have overwritten it): read back from the switch word until the word stands still, so a
    /// late OFF is not undone and a late ON does not wait for an API call.
    func syncSwitchLocked() {
        effects.setActiveFlag(mode != .off || pendingActivation?.bySignal == true)
        guard signalSwitch != nil,
              perftrampoline_signal_switch_set_state_if(appliedSignals, targetModeLocked != .off ? 1 : 0) == 0 else { return }
        var word = perftrampoline_signal_switch_word()
        while true {
            effects.setActiveFlag(word & 1 != 0)
            let now = perftrampoline_signal_switch_word()
            if now == word { return }
            word = now
        }
    }

    /// A failure after activation: off, status says why; returns the warning to log once the
    /// lock is released (nil if it repeats the last one).
    func failLocked(_ reason: String) -> Warning? {
        deactivateLocked()
        offReason = reason
        return warningLocked("perf support disabled: \(reason)")
    }

    /// The warning to log, unless it is the same as the last one: a host retrying a switch
    /// that cannot work (2,000 `activate` calls under MDWE) gets one line, not 2,000. A
    /// successful activation forgets it.
    func warningLocked(_ message: String) -> Warning? {
        if let lastWarning, message.sameBytes(as: lastWarning) { return nil }
        lastWarning = message
        return (warningSink, message)
    }

    // MARK: - Signal switch

    func installSignalSwitchLocked(_ signal: Int32, mode: ProfilingMode) throws(PerfSupportError) {
        guard System.isSwitchable(signal) else {
            throw .invalidArgument("signal \(signal) cannot be the switch (fault signals, KILL and STOP are refused)")
        }
        _ = applySignalsLocked()
        // The host's own handler is never replaced: it may be its reload or dump signal.
        if System.signalHasHostHandler(signal) {
            throw .setupFailed("signal \(signal) already has a handler in this process; the switch would replace "
                               + "it, so it is not installed (choose a signal the host does not use)")
        }
        let previous = signalSwitch
        signalSwitch = (signal, mode == .off ? .perfMap : mode)
        appliedSignals = perftrampoline_signal_switch_word() >> 1
        syncSwitchLocked()
        do {
            try System.installSignalHandler(signal)
        } catch {
            signalSwitch = previous
            throw .setupFailed(error.description, cause: error)
        }
    }

    /// Brings `mode` in line with what the signals asked for, until no delivery is pending
    /// (one that arrives while a request is applied is applied next); returns a warning to log
    /// if switching on failed.
    func applySignalsLocked() -> Warning? {
        // Every API call passes here first: a fork child takes up its own files at its first one.
        let adopted = adoptUnseenForkLocked()
        guard let signalSwitch else { return adopted }
        var warning: Warning? = adopted
        while true {
            let word = perftrampoline_signal_switch_word()
            let generation = word >> 1
            guard generation != appliedSignals else { return warning }
            appliedSignals = generation
            let on = word & 1 != 0
            let target = targetModeLocked
            if on && target == .off {
                // Started here; a long catch-up is left for a driver (PerfSupport), outside the lock.
                do {
                    if case .finished(let caveat) = try startActivationLocked(signalSwitch.mode, bySignal: true) {
                        warning = caveat ?? warning
                    }
                } catch {
                    return failLocked(error.reason)  // off: the switch records it, its next delivery is ON
                }
            } else if !on && target != .off {
                deactivateLocked()
            } else {
                // Handlers racing on two threads may have left the flag behind the word.
                syncSwitchLocked()
            }
        }
    }

    /// Test seam (`PERFTRAMPOLINE_FAULT=signal`, debug builds): delivers the switch's signal
    /// while the caller holds the registration lock.
    func raiseSwitchSignalUnderLockForTests() {
        #if DEBUG
        if InjectedFaults.active.contains(.signalUnderLock), let signalSwitch { System.raise(signalSwitch.signal) }
        #endif
    }

    // MARK: - Fork

    /// A fork child's first cold path, API call or `exit`: its own files, with every inherited
    /// entry (see ``reopenAfterFork()``); nil in the process that opened the files. One `getpid`.
    /// A fork the atfork handlers did not see (raw `syscall(SYS_fork)`, `clone` without them)
    /// is taken up the same way; its child still holds the parent's descriptors until then,
    /// and never writes to them (issue 24).
    func adoptUnseenForkLocked() -> Warning? {
        guard System.processID != processID else { return nil }
        return reopenAfterFork()
    }

    func installForkHandlersLocked() {
        guard !forkHandlersInstalled else { return }
        forkHandlersInstalled = true
        effects.installForkHandlers()
    }

    /// The atfork child handler's whole part (Docs/fork.md): only what is safe between `fork`
    /// and `exec` in the child of a multithreaded parent. The parent's descriptors are closed
    /// (the child must not hold the parent's claims; `close` allocates nothing); the files
    /// are left for ``adoptUnseenForkLocked()``, at the child's first cold path, API call or
    /// `exit`, so a child that execs or `_exit`s leaves nothing behind and pays nothing.
    func detachInheritedFilesInForkChild() {
        perfMap?.file.closeInheritedDescriptor()
        jitDump?.file.closeInheritedDescriptor()
        pendingActivation?.creation?.closeInheritedDescriptors()
    }

    /// In a fork child, from a normal context (``adoptUnseenForkLocked()``): the parent's files
    /// are dropped, and if profiling is on, this process's own files are opened and given every
    /// entry the parent had: the stubs are still mapped and cached, so the child can run all
    /// of them. New stubs go to a chunk the child maps itself: perf gives a child the mappings
    /// it inherited with the parent's map file as their names, so a child's stub in an inherited
    /// chunk would be looked up in the parent's map, where it is not.
    func reopenAfterFork() -> Warning? {
        processID = System.processID
        // An activation the parent had in progress is the child's to make (its driver thread
        // is not here); the parent's half-written new file is the parent's.
        let requested = targetModeLocked
        pendingActivation = nil
        perfMap = nil
        jitDump = nil
        for arena in arenas.values { arena.retireCurrentChunk() }
        guard requested != .off else { return nil }
        deactivateLocked()
        do {
            // The parent already warned about anything that holds for the child too.
            _ = try activateLocked(requested)
            return nil
        } catch {
            return failLocked(error.reason)
        }
    }
}
