/* RUN: enter the guest a run or promote made ready on a processor, and
 * tell the host how it came back (EXIT or STOPPED). */
#ifndef RUN_H
#define RUN_H

#include <stdint.h>

/* 0 when an answer was sent; -1 when the processor has nothing to enter */
int run_guest(uint16_t ppid);

#endif
