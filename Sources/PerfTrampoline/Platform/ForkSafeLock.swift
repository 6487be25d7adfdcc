#if canImport(Glibc)
import Glibc
#elseif canImport(CLibc)
import CLibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The registration lock of the cold path.
///
/// A `pthread_mutex_t` rather than `Synchronization.Mutex`: the fork handlers must take the
/// lock in `prepare` and release it in `parent` / re-create it in `child`, three separate
/// callbacks, which a scoped `withLock` cannot express. Never taken on the per-call fast path.
final class ForkSafeLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    /// In a fork child only: the prepare handler took the lock on the forking thread, which is
    /// the child's only thread; POSIX leaves unlocking a mutex across fork unspecified, so the
    /// lock is re-created instead.
    func reinitializeInChild() {
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
