import Synchronization

/// The evaluator a trampoline calls: the host's three word-sized arguments in, one word out.
///
/// A host typically passes its interpreter state, the code object (or frame) to run and one
/// more word (an argument count, a stack base, flags), and returns a status word.
public typealias PerfEvaluator = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int) -> Int

/// A trampoline: calls `evaluator(context, code, argument)` through a frame of its own, at an
/// address that the perf map names after one code object.
public typealias PerfStub = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int, PerfEvaluator) -> Int

/// The per-code-object trampoline cache: embed one in each code object of your VM.
///
/// It is one atomic word, empty until the code object is first entered while profiling is on;
/// then it holds the code object's own trampoline for the life of the process (re-activation
/// reuses it, so each code object is named exactly once). Reading it is a single acquiring
/// load: no hashing, locking or allocation.
///
/// ```swift
/// final class CodeObject {
///     let perfSlot = TrampolineSlot()
///     let perfName: String
/// }
/// ```
public struct TrampolineSlot: ~Copyable, Sendable {
    @usableFromInline
    let bits: Atomic<UInt>

    /// An empty slot.
    public init() {
        bits = Atomic(0)
    }

    /// The trampoline of this code object, or nil if none was made yet.
    @inlinable
    public var stub: PerfStub? {
        let raw = bits.load(ordering: .acquiring)
        return raw == 0 ? nil : unsafeBitCast(raw, to: PerfStub.self)
    }

    /// The address of the trampoline, or nil (for tests and diagnostics).
    public var address: UnsafeRawPointer? {
        UnsafeRawPointer(bitPattern: bits.load(ordering: .acquiring))
    }
}
