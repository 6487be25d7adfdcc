/// Test-only fault injection, read once from `PERFTRAMPOLINE_FAULT` (comma separated):
/// `mmap` (ENOMEM), `mprotect` (EACCES), `open` (EACCES), `tmp` (EROFS on open, as a read-only
/// /tmp gives), `write` (ENOSPC), `signal` (the switch's signal raised under the lock). Unknown words are ignored. Compiled into debug builds only:
/// in a release build the variable is never read, so no user can change what the library does.
struct InjectedFaults: OptionSet, Sendable {
    let rawValue: UInt8
    static let mmap = InjectedFaults(rawValue: 1 << 0)
    static let mprotect = InjectedFaults(rawValue: 1 << 1)
    static let open = InjectedFaults(rawValue: 1 << 2)
    static let readOnlyTmp = InjectedFaults(rawValue: 1 << 3)
    static let write = InjectedFaults(rawValue: 1 << 4)
    /// Raise the signal switch's signal while the registration lock is held (every cold path,
    /// and the fork handler's prepare step): the handler must never need the lock.
    static let signalUnderLock = InjectedFaults(rawValue: 1 << 5)

    #if DEBUG
    /// Test-only: how many more bytes writes to files whose path starts with `prefix` may
    /// write before failing with ENOSPC, as a disk that fills up part-way through a write does.
    /// (A pthread mutex, not `Synchronization.Mutex`: ThreadSanitizer does not see the futex
    /// the latter uses on Linux and reports its users as racing.)
    static let writeBudget = LockedValue<(prefix: String, bytes: Int)?>(nil)
    /// Test-only: runs between a claim's open and its lock, with the path (a race replayed:
    /// another process renames a fresh file over the path there).
    static let betweenOpenAndLock = LockedValue<(@Sendable (String) -> Void)?>(nil)
    #endif

    static let active: InjectedFaults = {
        #if !DEBUG
        return []
        #else
        guard let raw = Environment.current.faults else { return [] }
        var faults: InjectedFaults = []
        for word in raw.split(separator: ",") {
            switch word.trimmingCharacters(in: " ") {
            case "mmap": faults.insert(.mmap)
            case "mprotect": faults.insert(.mprotect)
            case "open": faults.insert(.open)
            case "tmp": faults.insert(.readOnlyTmp)
            case "write": faults.insert(.write)
            case "signal": faults.insert(.signalUnderLock)
            default: break
            }
        }
        return faults
        #endif
    }()
}


extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return s
    }
}

#if DEBUG
/// A value behind a pthread mutex (test seams only).
final class LockedValue<Value>: @unchecked Sendable {
    private let lock = ForkSafeLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
#endif
