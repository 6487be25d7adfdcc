#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs work on a thread whose native stack size is chosen here, not by `ulimit -s`: the front
/// end (bounded by ``Parser/nestingLimit``) and the interpreter (bounded by the recursion limit)
/// then fit whatever the user's stack limit. Stacks are reserved, not committed.
public enum LargeStack {
    /// Runs `body` on a new thread with the first stack size in `sizes` that fits and can be
    /// reserved, and waits for it; `body` is told the size. False if no size could be reserved.
    ///
    /// Under an address-space limit (`ulimit -v`) a size fits if it is at most a quarter of the
    /// limit (the smallest size is always tried): a stack that merely can be reserved may leave
    /// the runtime too little, and the Swift runtime traps when an allocation fails. Measured
    /// before this rule: a 256 MB stack under `ulimit -v 280000` left about 20 MB and `toyvm -c
    /// 'print(1)'` crashed (SIGSEGV) with Swift 6.3.1, and under 300000 with Debian's 6.2.3.
    public static func run(sizes: [Int], _ body: @escaping (_ stackSize: Int) -> Void) -> Bool {
        let work = Work(body)
        let box = Unmanaged.passRetained(work)
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        for size in fitting(sizes) {
            pthread_attr_setstacksize(&attributes, size)
            work.stackSize = size
            #if canImport(Glibc)
            var thread = pthread_t()
            #else
            var thread: pthread_t?
            #endif
            let created = pthread_create(&thread, &attributes, { raw in
                let work = Unmanaged<Work>.fromOpaque(raw!).takeRetainedValue()
                work.body(work.stackSize)
                return nil
            }, box.toOpaque())
            if created == 0 {
                #if canImport(Glibc)
                pthread_join(thread, nil)
                #else
                pthread_join(thread!, nil)
                #endif
                return true
            }
        }
        box.release()
        return false
    }

    /// `sizes` without those above a quarter of the address-space limit; the smallest stays.
    static func fitting(_ sizes: [Int]) -> [Int] {
        var limit = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_AS.rawValue)
        #else
        let resource = RLIMIT_AS
        #endif
        // RLIM_INFINITY is all ones on Linux and 2^63 - 1 on Darwin: both at least Int.max.
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < rlim_t(Int.max) else { return sizes }
        let quarter = Int(clamping: limit.rlim_cur / 4)
        let fit = sizes.filter { $0 <= quarter }
        return fit.isEmpty ? Array(sizes.min().map { [$0] } ?? []) : fit
    }

    private final class Work {
        let body: (Int) -> Void
        var stackSize = 0
        init(_ body: @escaping (Int) -> Void) { self.body = body }
    }
}
