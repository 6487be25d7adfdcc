// perftrampoline_last_error(): one buffer per thread, so another thread's failure can neither
// change nor free the text a caller is reading.
#include "CShims.h"

#include <string.h>

static _Thread_local char last_error[1024];

void perftrampoline_set_last_error(const char *message) {
    size_t length = strlen(message);
    if (length >= sizeof last_error) {
        length = sizeof last_error - 1;
        // Cut before a UTF-8 continuation byte's character, never inside it.
        while (length > 0 && ((unsigned char)message[length] & 0xC0) == 0x80) length--;
    }
    memcpy(last_error, message, length);
    last_error[length] = 0;
}

const char *perftrampoline_last_error(void) { return last_error; }
