#if canImport(Glibc)
import Glibc
#elseif canImport(CLibc)
import CLibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The registration lock of the cold path.
///
/// A `pthread_mutex_t` rather than `Synchronization.Mutex`: the fork handlers must take the
/// lock in `prepare` and release it in `parent` / re-create it in `child`, three separate
/// callbacks, which a scoped `withLock` cannot express. Never taken on the per-call fast path.
final class ForkSafeLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Threads blocked in ``lock()`` now (counted only when the lock is contended).
    private let waiting = Atomic<Int>(0)

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock() {
        if pthread_mutex_trylock(mutex) == 0 { return }
        waiting.add(1, ordering: .relaxed)
        pthread_mutex_lock(mutex)
        waiting.subtract(1, ordering: .relaxed)
    }

    func unlock() { pthread_mutex_unlock(mutex) }

    /// For a long job done in steps under the lock (issue 23's catch-up), between two steps,
    /// unlocked: lets the threads waiting for the lock take it first. The mutex is not fair: an
    /// unlock followed at once by a lock beats a woken waiter (measured: a first entry waited
    /// for all 200 steps of a catch-up). Gives up after 100 yields (threads that keep coming
    /// must not stall the job).
    func yieldToWaiters() {
        var rounds = 0
        while waiting.load(ordering: .relaxed) > 0 && rounds < 100 {
            sched_yield()
            rounds += 1
        }
    }

    /// In a fork child only: the prepare handler took the lock on the forking thread, which is
    /// the child's only thread; POSIX leaves unlocking a mutex across fork unspecified, so the
    /// lock is re-created instead.
    func reinitializeInChild() {
        waiting.store(0, ordering: .relaxed)  // threads blocked at the fork are not in the child
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    @inline(__always)
    func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}
