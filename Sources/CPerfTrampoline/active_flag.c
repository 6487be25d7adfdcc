// The on/off flag of the C API's inline fast path (mirrors PerfSupport.isActive). Hosts see it
// through perftrampoline.h as `extern volatile int`, the type it is defined with here (a const
// declaration of a written object let compilers fold the reads: gcc -O2 hoisted a host's
// `while (!flag)` into one load, issue 25); hosts read it through perftrampoline_is_active().
// Only the library writes it, through perftrampoline_set_active_flag (declared in the private
// CShims.h). It lives in the public target because the public header's inline fast path reads it.
volatile int perftrampoline_active_flag = 0;

void perftrampoline_set_active_flag(int active);

void perftrampoline_set_active_flag(int active) {
    __atomic_store_n(&perftrampoline_active_flag, active, __ATOMIC_RELAXED);
}
