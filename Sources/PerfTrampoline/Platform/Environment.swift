#if canImport(Glibc)
import Glibc
#elseif canImport(CLibc)
import CLibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Every environment variable the library reads, read once, at first use.
struct Environment: Sendable {
    /// `PERFSUPPORT` (the C API's `perftrampoline_configure`; Swift hosts pass their own
    /// environment to `configure`).
    let perfSupport: String?
    /// `PERFTRAMPOLINE_SIGNAL` (the C API; Swift hosts pass their environment to `configure`).
    let signalSwitch: String?
    /// `PERFTRAMPOLINE_BACKEND`: asm, c or ffi, to force a backend.
    let backend: String?
    /// `PERFTRAMPOLINE_JITDUMP_DIR`, else /tmp: where dumps go (perf inject writes its
    /// `jitted-*.so` next to them).
    let jitDumpDirectory: String
    /// `PERFTRAMPOLINE_FAULT` (debug builds only; see ``InjectedFaults``).
    let faults: String?
    /// `PERFTRAMPOLINE_KEEP_RELEASED` (debug builds only): the shared core's
    /// ``ReleasedStubs/defaultBound``, so that tests can make renames happen at once.
    let keptReleasedStubs: Int?
    /// `PERFTRAMPOLINE_CATCHUP_SLICE` (debug builds only): the shared core's
    /// ``ProfilingCore/catchUpSlice``, so that tests make every catch-up span many slices.
    let catchUpSlice: Int?

    static let current = Environment()

    private init() {
        perfSupport = Self.read("PERFSUPPORT")
        signalSwitch = Self.read("PERFTRAMPOLINE_SIGNAL")
        backend = Self.read("PERFTRAMPOLINE_BACKEND")
        jitDumpDirectory = Self.read("PERFTRAMPOLINE_JITDUMP_DIR") ?? "/tmp"
        #if DEBUG
        faults = Self.read("PERFTRAMPOLINE_FAULT")
        keptReleasedStubs = Self.read("PERFTRAMPOLINE_KEEP_RELEASED").flatMap { Int($0) }
        catchUpSlice = Self.read("PERFTRAMPOLINE_CATCHUP_SLICE").flatMap { Int($0) }.map { max($0, 1) }
        #else
        faults = nil
        keptReleasedStubs = nil
        catchUpSlice = nil
        #endif
    }

    /// Whether `name` is set to a non-empty value, read now, without a Swift string: the C API's
    /// configure asks this first, so a host that links the library and never profiles pays two
    /// `getenv` calls at start-up and none of the library's set-up (issue 26).
    static func isSet(_ name: StaticString) -> Bool {
        let cName = UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
        guard let raw = getenv(cName) else { return false }
        return raw.pointee != 0
    }

    /// A variable's value, or nil when unset or empty.
    private static func read(_ name: String) -> String? {
        guard let raw = getenv(name), raw.pointee != 0 else { return nil }
        return String(cString: raw)
    }
}
