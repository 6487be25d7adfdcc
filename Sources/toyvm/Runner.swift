import Logging
import ToyVM

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process around a toy program: the interpreter thread and the exit status.
enum Runner {
    /// Native stack of the interpreter thread. Reserved, not committed: pages are touched only
    /// as deep as the recursion goes. Where the address space is limited (`ulimit -v`), a
    /// smaller stack is taken and the recursion limit shrinks with it.
    static let nativeStackSizes = [4 << 30, 1 << 30, 256 << 20, 64 << 20, 16 << 20]

    /// PerfTrampoline's and the interpreter's warnings, as `toyvm: warning: …` on stderr.
    static let logger = Logger(label: "toyvm") { _ in WarningLogHandler(program: "toyvm") }

    /// Runs `program` on a thread with a large native stack (every interpreted call is a native
    /// call, plus a trampoline frame when profiling) and ends the process with its status. The
    /// process ends from the interpreter thread itself, so a `fork()`ed child — which has only
    /// that thread — exits the same way as its parent.
    static func runAndExit(_ program: ToyProgram) -> Never {
        let started = LargeStack.run(sizes: nativeStackSizes) { stackSize in
            let limit = min(ToyProgram.recursionLimit, stackSize / ToyProgram.stackBytesPerCall)
            exit(program.run(recursionLimit: limit, logger: logger))
        }
        if !started { writeStandardError("toyvm: error: cannot start the interpreter thread (address space exhausted?)\n") }
        exit(1)
    }
}
