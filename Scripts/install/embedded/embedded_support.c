/* The Embedded Swift build of the core (Scripts/install/build-embedded.sh, issue 26): what the
 * Embedded stdlib calls beyond the libc every host has, defined hidden here. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The one libm function (its hash tables round a capacity up with ceil), so that the library
 * needs libc only. */
__attribute__((visibility("hidden"))) double ceil(double x) {
    if (!(x > -4503599627370496.0 && x < 4503599627370496.0)) return x;  // NaN, inf, |x| >= 2^52: integral
    double t = (double)(long long)x;
    return t < x ? t + 1.0 : (t == 0.0 && x < 0 ? -0.0 : t);
}

/* The shared library is linked without the C compiler's start files (-nostartfiles): crtbeginS.o
 * would make the loader look up four symbols at every start-up (__cxa_finalize, __gmon_start__
 * and the two _ITM_ transactional-memory hooks, the last three never defined), for destructors
 * and transactional memory the library does not have. What the library does use of them is this
 * handle, with which libc's atexit registers a handler as this object's. */
__attribute__((visibility("hidden"))) void *__dso_handle = &__dso_handle;

/* The seed of the stdlib's hash tables. glibc has arc4random_buf only since 2.36 (Ubuntu 22.04
 * has 2.35), and each glibc version a library needs is one more check at every start-up: the
 * kernel's getrandom instead, through syscall(2). If the kernel refuses it (before 3.17, or a
 * seccomp filter), the rest is filled from the clock and an address: a hash seed, not a secret. */
__attribute__((visibility("hidden"))) void arc4random_buf(void *buffer, size_t length) {
    unsigned char *bytes = buffer;
    while (length > 0) {
        long got = syscall(SYS_getrandom, bytes, length, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        bytes += got;
        length -= (size_t)got;
    }
    struct timespec now = {0, 0};
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t state = (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 30) ^ (uint64_t)(uintptr_t)buffer;
    for (; length > 0; length--) {
        state += 0x9E3779B97F4A7C15u;  // splitmix64
        uint64_t mixed = (state ^ (state >> 30)) * 0xBF58476D1CE4E5B9u;
        mixed = (mixed ^ (mixed >> 27)) * 0x94D049BB133111EBu;
        *bytes++ = (unsigned char)(mixed ^ (mixed >> 31));
    }
}
