/* The Embedded Swift build of the core (Scripts/install/build-embedded.sh, issue 26): the one libm
 * function the Embedded stdlib calls (its hash tables round a capacity up with ceil), defined
 * hidden here so that the library needs libc only. */
__attribute__((visibility("hidden"))) double ceil(double x) {
    if (!(x > -4503599627370496.0 && x < 4503599627370496.0)) return x;  // NaN, inf, |x| >= 2^52: integral
    double t = (double)(long long)x;
    return t < x ? t + 1.0 : (t == 0.0 && x < 0 ? -0.0 : t);
}
