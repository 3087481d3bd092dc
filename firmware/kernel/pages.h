/* The pages bf_mem_op_alloc_page hands out: a fixed pool. */
#ifndef PAGES_H
#define PAGES_H

#include <stdint.h>
#include "resources.h"

/* whether [phys, phys + bytes) lies wholly in allocated pages of the pool
 * (the architecture checks this before it lets an intercept bitmap point there) */
int pages_hold(uint64_t phys, uint64_t bytes);

syscall_fn sys_alloc_page, sys_free_page, sys_virt_to_phys;

/* PAGE_WRITE: bytes into an allocated page, by its physical address; -1
 * when phys is no allocated page or the bytes run past its end */
int pages_write(uint64_t phys, uint16_t offset, const uint8_t *bytes, uint16_t count);

/* for STATE: 1 per allocated page, and a checksum of the pool's contents */
uint8_t pages_allocated(unsigned i);
uint32_t pages_crc(void);

#endif
