// The on/off flag of the C API's inline fast path (mirrors PerfSupport.isActive). Hosts see it
// through perftrampoline.h as `extern const int`; only the library writes it, through
// perftrampoline_set_active_flag (declared in the private CShims.h). It lives in the public
// target because the public header's inline fast path reads it. This file deliberately includes
// neither header, whose const-qualified declaration would conflict with the definition.
int perftrampoline_active_flag = 0;

void perftrampoline_set_active_flag(int active);

void perftrampoline_set_active_flag(int active) {
    __atomic_store_n(&perftrampoline_active_flag, active, __ATOMIC_RELAXED);
}
