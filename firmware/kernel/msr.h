/* RDMSR and WRMSR that survive a #GP: an MSR the processor lacks faults,
 * and the exception handler resumes such an access with an error instead
 * of failing the firmware. */
#ifndef MSR_H
#define MSR_H

#include <stdint.h>
#include "resources.h"

/* 0, or -1 when the instruction faulted */
int msr_read_safe(uint32_t msr, uint64_t *value);
int msr_write_safe(uint32_t msr, uint64_t value);

/* where to resume when an exception hit the instruction at rip: a safe
 * access's error path, or 0 when rip is no safe access */
uint64_t msr_fixup(uint64_t rip);

syscall_fn sys_read_msr, sys_write_msr;

#endif
