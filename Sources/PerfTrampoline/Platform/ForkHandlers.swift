#if canImport(Glibc)
import Glibc
#elseif canImport(CLibc)
import CLibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `pthread_atfork` handlers, so every fork path is covered (the host's builtin, a C library,
/// `posix_spawn` fallbacks), not only one the VM knows about; and an `atexit` handler.
///
/// prepare: take the naming lock (no C name writer half-way) and the registration lock, so no
/// thread is half-way through naming a stub; the first time, complete the Swift runtime's lazy
/// type metadata the child will need (``ForkWarmUp``); and apply any signal-switch request still
/// pending, so that parent and child agree on the mode (an OFF that arrived just before the
/// fork must not come back on in the child, issue 23); an activation whose catch-up is in
/// progress is finished (the child's copy of its driver thread would not exist).
/// parent: release them (then log what applying the request said).
/// child: only what is safe there (issue 23): re-create the locks (their owner thread does not
/// exist in the child) and close the parent's descriptors. No allocation, no logging, no file
/// written: the child takes up its own files at its first cold path or API call, or at `exit`
/// (``ProfilingCore/adoptUnseenForkLocked()``), so a child that execs leaves nothing behind.
enum ForkHandlers {
    static func install() {
        pthread_atfork(
            {
                let perf = PerfSupport.shared
                perf.namingLock.lock()
                perf.lock.lock()
                perf.core.warmUpBeforeForkLocked()
                perf.core.raiseSwitchSignalUnderLockForTests()
                perf.core.warningsBeforeFork = [perf.core.applySignalsLocked(), perf.core.finishActivationBeforeForkLocked()]
                    .compactMap { $0 }
            },
            {
                let perf = PerfSupport.shared
                let warnings = perf.core.warningsBeforeFork
                perf.core.warningsBeforeFork = []
                perf.lock.unlock()
                perf.namingLock.unlock()
                warnings.forEach(perf.log)
            },
            {
                let perf = PerfSupport.shared
                perf.lock.reinitializeInChild()
                perf.namingLock.reinitializeInChild()
                perf.core.warningsBeforeFork = []  // the parent logs them
                perf.core.detachInheritedFilesInForkChild()
            }
        )
        // A child that never reached a cold path or API call and ends with `exit` (a pre-fork
        // worker that only ran inherited code) writes its own files now, so that a profile of
        // it names everything it ran. exec and `_exit` skip this: nothing is left behind.
        // An activation still in progress at exit is dropped: a dump being written aside is
        // removed, with the empty file claimed at its path.
        atexit {
            let perf = PerfSupport.shared
            perf.log(perf.lock.withLock {
                let adopted = perf.core.adoptUnseenForkLocked()
                perf.core.dropActivationLocked()
                return adopted
            })
        }
    }
}
