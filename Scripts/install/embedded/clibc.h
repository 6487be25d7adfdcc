/* The C library for the Embedded Swift build of the core (Scripts/install/build-embedded.sh,
 * issue 26): Embedded Swift has no Glibc module, so the core imports these headers as the
 * module CLibc instead, plus what the Glibc overlay spells in Swift (Platform/LibcEmbedded.swift
 * gives them the overlay's names): errno (a macro), the variadic open and fcntl, MAP_FAILED. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static inline int perftrampoline_errno(void) { return errno; }
static inline int perftrampoline_open(const char *path, int flags, mode_t mode) { return open(path, flags, mode); }
static inline int perftrampoline_fcntl(int fd, int command, int argument) { return fcntl(fd, command, argument); }
static inline void *perftrampoline_map_failed(void) { return MAP_FAILED; }
