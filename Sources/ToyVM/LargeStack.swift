#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs work on a thread whose native stack size is chosen here, not by `ulimit -s`: the front
/// end (bounded by ``Parser/nestingLimit``) and the interpreter (bounded by the recursion limit)
/// then fit whatever the user's stack limit. Stacks are reserved, not committed.
public enum LargeStack {
    /// Runs `body` on a new thread with the first stack size in `sizes` that can be reserved
    /// (a tight `ulimit -v` refuses the larger ones) and waits for it; `body` is told the size.
    /// False if no size could be reserved.
    public static func run(sizes: [Int], _ body: @escaping (_ stackSize: Int) -> Void) -> Bool {
        let work = Work(body)
        let box = Unmanaged.passRetained(work)
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        for size in sizes {
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

    private final class Work {
        let body: (Int) -> Void
        var stackSize = 0
        init(_ body: @escaping (Int) -> Void) { self.body = body }
    }
}
