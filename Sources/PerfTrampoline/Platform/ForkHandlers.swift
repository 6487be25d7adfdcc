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
/// `posix_spawn` fallbacks), not only one the VM knows about.
///
/// prepare: take the naming lock (no C name writer half-way) and the registration lock, so no
/// thread is half-way through naming a stub; the first time, complete the Swift runtime's lazy
/// type metadata the child will need (``ForkWarmUp``); and apply any signal-switch request still pending, so that parent and child agree on the mode
/// (an OFF that arrived just before the fork must not come back on in the child, issue 23).
/// parent: release it (then log what applying the request said). child: re-create it (its
/// owner thread does not exist there), then open the child's own files and copy every entry in.
enum ForkHandlers {
    static func install() {
        pthread_atfork(
            {
                let perf = PerfSupport.shared
                perf.namingLock.lock()
                perf.lock.lock()
                perf.core.warmUpBeforeForkLocked()
                perf.core.raiseSwitchSignalUnderLockForTests()
                perf.core.warningBeforeFork = perf.core.applySignalsLocked()
            },
            {
                let perf = PerfSupport.shared
                let warning = perf.core.warningBeforeFork
                perf.core.warningBeforeFork = nil
                perf.lock.unlock()
                perf.namingLock.unlock()
                perf.log(warning)
            },
            {
                let perf = PerfSupport.shared
                perf.lock.reinitializeInChild()
                perf.namingLock.reinitializeInChild()
                perf.core.warningBeforeFork = nil  // the parent logs it
                // A failure is logged after the lock is released, as everywhere.
                perf.log(perf.lock.withLock { perf.core.reopenAfterFork() })
            }
        )
    }
}
