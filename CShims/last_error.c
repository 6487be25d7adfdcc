// perftrampoline_last_error(): one buffer per thread, so another thread's failure can neither
// change nor free the text a caller is reading.
//
// A pthread key rather than _Thread_local: a TLS block in the shared library costs every host
// at start-up, profiled or not (a DTPMOD relocation, the loader's TLS set-up, and a NEEDED on
// ld-linux for __tls_get_addr: about 1,700 instructions, issue 26), while the key and a thread's
// buffer are made only when that thread first records an error.
#include "CShims.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { capacity = 1024 };

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_made;

// A function of ours, not `free` itself: taking libc's address would be one more symbol the
// loader looks up at every start-up.
static void free_buffer(void *buffer) { free(buffer); }

static void make_key(void) { key_made = pthread_key_create(&key, free_buffer) == 0; }

// This thread's buffer; made if `create` (NULL if not made, or out of memory).
static char *thread_buffer(int create) {
    pthread_once(&key_once, make_key);
    if (!key_made) return 0;
    char *buffer = pthread_getspecific(key);
    if (!buffer && create) {
        buffer = calloc(1, capacity);
        if (buffer && pthread_setspecific(key, buffer) != 0) {
            free(buffer);
            buffer = 0;
        }
    }
    return buffer;
}

void perftrampoline_set_last_error(const char *message) {
    char *buffer = thread_buffer(1);
    if (!buffer) return;  // out of memory: the message is lost, never a crash
    size_t length = strlen(message);
    if (length >= capacity) {
        length = capacity - 1;
        // Cut before a UTF-8 continuation byte's character, never inside it.
        while (length > 0 && ((unsigned char)message[length] & 0xC0) == 0x80) length--;
    }
    memcpy(buffer, message, length);
    buffer[length] = 0;
}

const char *perftrampoline_last_error(void) {
    const char *buffer = thread_buffer(0);
    return buffer ? buffer : "";
}
