/* SVM's nested page tables: guest memory (memory.c), a 2 MiB-aligned
 * region of the firmware, at guest-physical 0 and nothing else. */
#include "../../guest/layout.h"
#include "svm.h"

#define PAGE_2M 0x200000ull
#define NPT_TABLE 0x7ull  /* present, writable, user: nested walks are user accesses */
#define NPT_LARGE 0x87ull /* the same, and a 2 MiB page */

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));

void npt_build(void) {
    pml4[0] = phys_of(pdpt) | NPT_TABLE;
    pdpt[0] = phys_of(pd) | NPT_TABLE;
    for (uint64_t i = 0; i < GUEST_MEMORY / PAGE_2M; i++) pd[i] = (guest_memory_base() + i * PAGE_2M) | NPT_LARGE;
}

uint64_t npt_root(void) {
    return phys_of(pml4);
}
