import CShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The clock and thread id a jitdump must use on this OS.
enum JitDumpClock {
    /// Linux: CLOCK_MONOTONIC ns, the clock of `perf record -k 1`. macOS: mach_absolute_time
    /// in ns, the clock samply uses there.
    static func now() -> UInt64 {
        #if canImport(Darwin)
        var info = mach_timebase_info_data_t()
        mach_timebase_info(&info)
        return mach_absolute_time() * UInt64(info.numer) / UInt64(info.denom)
        #else
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
        #endif
    }

    /// The calling thread's id, as the spec's u32.
    static func threadID() -> UInt32 { perftrampoline_thread_id() }
}
