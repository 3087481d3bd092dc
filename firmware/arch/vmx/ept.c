/* VMX's extended page tables: guest memory (memory.c) at guest-physical 0
 * and nothing else, in 2 MiB pages, write-back. */
#include "../../guest/layout.h"
#include "vmx.h"

#define PAGE_2M 0x200000ull
#define EPT_RWX 0x7ull
#define EPT_WB (6ull << 3)   /* memory type of a leaf */
#define EPT_LARGE (1ull << 7)
#define EPTP_WB 6ull
#define EPTP_4_LEVELS (3ull << 3)

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));

void ept_build(void) {
    pml4[0] = phys_of(pdpt) | EPT_RWX;
    pdpt[0] = phys_of(pd) | EPT_RWX;
    for (uint64_t i = 0; i < GUEST_MEMORY / PAGE_2M; i++) pd[i] = (guest_memory_base() + i * PAGE_2M) | EPT_RWX | EPT_WB | EPT_LARGE;
}

uint64_t ept_pointer(void) {
    return phys_of(pml4) | EPTP_4_LEVELS | EPTP_WB;
}
