// The on/off flag of the C API's inline fast path (mirrors PerfSupport.isActive).
#include "perftrampoline.h"

int perftrampoline_active_flag = 0;
