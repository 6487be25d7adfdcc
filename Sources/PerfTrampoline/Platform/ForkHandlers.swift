#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `pthread_atfork` handlers, so every fork path is covered (the host's builtin, a C library,
/// `posix_spawn` fallbacks), not only one the VM knows about.
///
/// prepare: take the registration lock, so no thread is half-way through naming a stub.
/// parent: release it. child: re-create it (its owner thread does not exist there), then open
/// the child's own files and copy every entry in.
enum ForkHandlers {
    static func install() {
        pthread_atfork(
            {
                PerfSupport.shared.lock.lock()
                PerfSupport.shared.core.raiseSwitchSignalUnderLockForTests()
            },
            { PerfSupport.shared.lock.unlock() },
            {
                let perf = PerfSupport.shared
                perf.lock.reinitializeInChild()
                // A failure is logged after the lock is released, as everywhere.
                perf.log(perf.lock.withLock { perf.core.reopenAfterFork() })
            }
        )
    }
}
