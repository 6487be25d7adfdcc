// Test program for issue 16: fork children are SIGKILLed at random moments while their atfork
// handler copies the parent's entries into their own perf map; no child map may end in a torn
// line.
//
//   fork-kill-probe STUBS TRIALS [MAX_DELAY_US]   (kill 0..MAX_DELAY_US after fork; default 10000)
//
// Prints "trials T torn X complete C partial P empty E" and exits 0 (the test judges), or 2 on a
// setup problem. complete: the child's map has all STUBS lines; empty: it was killed before
// the copy was renamed into place; partial: whole lines but fewer (a bug: the copy is atomic);
// torn: a line that does not parse (the bug this guards against).
#include <perftrampoline.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// 1: every line is "HEX HEX NAME\n"; sets *lines. 0: a torn or malformed line.
static int check_map(const char *path, long *lines) {
    FILE *file = fopen(path, "r");
    *lines = 0;
    if (!file) return 1;  // no map at all: nothing torn
    char line[8192];
    int ok = 1;
    while (fgets(line, sizeof line, file)) {
        size_t length = strlen(line);
        char *end;
        if (length == 0 || line[length - 1] != '\n') { ok = 0; break; }
        strtoull(line, &end, 16);
        if (end == line || *end != ' ') { ok = 0; break; }
        char *size = end + 1;
        strtoull(size, &end, 16);
        if (end == size || *end != ' ' || end[1] == '\n') { ok = 0; break; }
        (*lines)++;
    }
    fclose(file);
    return ok;
}

int main(int argc, const char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: fork-kill-probe STUBS TRIALS\n");
        return 2;
    }
    long stubs = strtol(argv[1], NULL, 10), trials = strtol(argv[2], NULL, 10);
    int max_delay = argc > 3 ? atoi(argv[3]) : 10000;
    if (max_delay < 1) max_delay = 1;
    const char *mode[] = {argv[0], "-Xperf"};
    if (perftrampoline_configure(2, mode) != PERFTRAMPOLINE_MODE_PERF_MAP) {
        fprintf(stderr, "fork-kill-probe: profiling did not start\n");
        return 2;
    }
    perftrampoline_slot *slots = calloc((size_t)stubs, sizeof *slots);
    for (long i = 0; i < stubs; i++) {
        char name[64];
        snprintf(name, sizeof name, "probe::f%ld:fork_kill.c", i);
        if (!perftrampoline_make_stub(&slots[i], name)) {
            fprintf(stderr, "fork-kill-probe: stub %ld: %s\n", i, perftrampoline_last_error());
            return 2;
        }
    }
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    long torn = 0, complete = 0, partial = 0, empty = 0;
    for (long t = 0; t < trials; t++) {
        fflush(stdout);
        pid_t child = fork();
        if (child < 0) return 2;
        if (child == 0) {
            for (;;) pause();  // the copy already ran in the atfork child handler
        }
        usleep((useconds_t)(rand() % max_delay));
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        char path[64], temporary[64];
        snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)child);
        snprintf(temporary, sizeof temporary, "/tmp/.perf-%d.map.partial", (int)child);
        long lines = 0;
        if (!check_map(path, &lines)) torn++;
        else if (lines == stubs) complete++;
        else if (lines == 0) empty++;
        else partial++;
        unlink(path);
        unlink(temporary);
    }
    printf("trials %ld torn %ld complete %ld partial %ld empty %ld\n", trials, torn, complete, partial, empty);
    printf("pid %d\n", (int)getpid());
    return 0;
}
