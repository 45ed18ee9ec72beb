/* clock.h - the clocks of syno, in seconds as doubles: wall time for
 * intervals, the processor time of the process, and the time of day for
 * timestamps that are stored. */
#ifndef SYNO_CLOCK_H
#define SYNO_CLOCK_H

/* Seconds on the monotonic clock since an arbitrary start: subtract two
 * readings for an interval (never jumps with the time of day). */
double syno_clock_wall(void);

/* Processor seconds (user and system) the process has used so far, all
 * its threads together. */
double syno_clock_cpu(void);

/* Processor seconds (user and system) the calling thread has used so far:
 * what one part of a process costs while its other threads run. */
double syno_clock_thread_cpu(void);

/* Seconds since the Unix epoch: a timestamp to record. */
double syno_clock_epoch(void);

#endif
