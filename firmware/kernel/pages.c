/* The page pool. Each page has a made-up address in the extension's space
 * (as the sim's: 0x0000600000000000 + i * 4096) and its real physical
 * address here (the firmware runs identity-mapped), which an extension
 * writes into a VMCB for its intercept bitmaps. A page is zero whenever it
 * is free, so that equal tables mean equal contents. */
#include "pages.h"
#include "config.h"
#include "crc32.h"
#include "options.h"
#include "string.h"

#define PAGE 4096u
#define VIRT_BASE 0x0000600000000000ull

static uint8_t pool[CONFIG_PAGES][PAGE] __attribute__((aligned(PAGE)));
static uint8_t allocated[CONFIG_PAGES];

static uint64_t phys_of(unsigned i) {
    return (uint64_t)(uintptr_t)pool[i];
}

/* the index of the allocated page at virt, or -1 */
static int page_of_virt(uint64_t virt) {
    if (virt < VIRT_BASE) return -1;
    uint64_t off = virt - VIRT_BASE;
    if (off % PAGE != 0 || off / PAGE >= limits.pages) return -1;
    unsigned i = (unsigned)(off / PAGE);
    return allocated[i] ? (int)i : -1;
}

/* the index of the page holding phys (allocated or not), or -1 */
static int page_of_phys(uint64_t phys) {
    uint64_t base = phys_of(0);
    if (phys < base || phys - base >= (uint64_t)limits.pages * PAGE) return -1;
    return (int)((phys - base) / PAGE);
}

int pages_hold(uint64_t phys, uint64_t bytes) {
    if (bytes == 0 || phys + bytes < phys) return 0;
    for (uint64_t at = phys & ~(uint64_t)(PAGE - 1); at < phys + bytes; at += PAGE) {
        int i = page_of_phys(at);
        if (i < 0 || !allocated[i]) return 0;
    }
    return 1;
}

bf_status_t sys_alloc_page(const uint64_t reg[6], uint64_t out[6]) {
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    for (unsigned i = 0; i < limits.pages; i++) {
        if (allocated[i]) continue;
        allocated[i] = 1;
        out[0] = VIRT_BASE + (uint64_t)i * PAGE;
        out[1] = phys_of(i);
        return BF_STATUS_SUCCESS;
    }
    return BF_STATUS_FAILURE_UNKNOWN;
}

bf_status_t sys_free_page(const uint64_t reg[6], uint64_t out[6]) {
    (void)out;
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    int i = page_of_virt(reg[1]);
    if (i < 0) return BF_STATUS_INVALID_PARAMS1;
    allocated[i] = 0;
    memset(pool[i], 0, PAGE);
    return BF_STATUS_SUCCESS;
}

bf_status_t sys_virt_to_phys(const uint64_t reg[6], uint64_t out[6]) {
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    int i = page_of_virt(reg[1]);
    if (i < 0) return BF_STATUS_INVALID_PARAMS1;
    out[0] = phys_of((unsigned)i);
    return BF_STATUS_SUCCESS;
}

int pages_write(uint64_t phys, uint16_t offset, const uint8_t *bytes, uint16_t count) {
    int i = page_of_phys(phys);
    if (i < 0 || phys != phys_of((unsigned)i) || !allocated[i] || (uint32_t)offset + count > PAGE) return -1;
    memcpy(pool[i] + offset, bytes, count);
    return 0;
}

uint8_t pages_allocated(unsigned i) {
    return allocated[i];
}

uint32_t pages_crc(void) {
    return crc32(pool, (size_t)limits.pages * PAGE);
}
