/* The pages bf_mem_op_alloc_page hands out: a fixed pool. */
#ifndef PAGES_H
#define PAGES_H

#include <stdint.h>

/* whether [phys, phys + bytes) lies wholly in allocated pages of the pool
 * (the architecture checks this before it lets an intercept bitmap point there) */
int pages_hold(uint64_t phys, uint64_t bytes);

#endif
