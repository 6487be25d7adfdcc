#if defined(__APPLE__)
#include <ffi/ffi.h>
#else
#include <ffi.h>
#endif
