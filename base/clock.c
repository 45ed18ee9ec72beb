/* clock.c - wall, processor and calendar time (clock.h). */
#include "base/clock.h"

#include <time.h>

static double seconds_of(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Monotonic seconds (see clock.h). */
double syno_clock_wall(void)
{
    return seconds_of(CLOCK_MONOTONIC);
}

/* Processor seconds of the process (see clock.h). */
double syno_clock_cpu(void)
{
    return seconds_of(CLOCK_PROCESS_CPUTIME_ID);
}

/* Processor seconds of the calling thread (see clock.h). */
double syno_clock_thread_cpu(void)
{
    return seconds_of(CLOCK_THREAD_CPUTIME_ID);
}

/* Seconds since the epoch (see clock.h). */
double syno_clock_epoch(void)
{
    return seconds_of(CLOCK_REALTIME);
}
