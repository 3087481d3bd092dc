/* Guest memory: a static, 2 MiB-aligned region of the firmware, which the
 * nested page tables map at guest-physical 0 and nothing else, so a guest
 * never reaches the firmware. And the way back: the firmware reading guest
 * memory through the guest's own paging (to decode an instruction). */
#include "../guest/layout.h"
#include "svm.h"

#define PAGE_2M 0x200000ull
#define NPT_TABLE 0x7ull  /* present, writable, user: nested walks are user accesses */
#define NPT_LARGE 0x87ull /* the same, and a 2 MiB page */
#define PTE_P 0x1ull
#define PTE_PS 0x80ull
#define PTE_ADDR 0x000FFFFFFFFFF000ull

_Static_assert(GUEST_MEMORY % PAGE_2M == 0 && GUEST_MEMORY / PAGE_2M <= 512, "guest memory is whole 2 MiB pages under one PD");

static uint8_t memory[GUEST_MEMORY] __attribute__((aligned(PAGE_2M)));
static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));

void npt_build(void) {
    pml4[0] = phys_of(pdpt) | NPT_TABLE;
    pdpt[0] = phys_of(pd) | NPT_TABLE;
    for (uint64_t i = 0; i < GUEST_MEMORY / PAGE_2M; i++) pd[i] = (phys_of(memory) + i * PAGE_2M) | NPT_LARGE;
}

uint64_t npt_root(void) {
    return phys_of(pml4);
}

void *guest_phys(uint64_t gpa, uint64_t bytes) {
    if (gpa >= GUEST_MEMORY || bytes > GUEST_MEMORY - gpa) return 0;
    return memory + gpa;
}

/* linear → guest-physical through the guest's 4-level paging (or none) */
static int translate(uint16_t vps, uint64_t linear, uint64_t *gpa) {
    if (!(*vmcb64(vps, VMCB_CR0) & CR0_PG)) {
        *gpa = linear & 0xFFFFFFFFu;
        return 0;
    }
    if (!(*vmcb64(vps, VMCB_EFER) & EFER_LMA)) return -1; /* legacy paging: no guest of ours uses it */
    uint64_t table = *vmcb64(vps, VMCB_CR3) & PTE_ADDR;
    for (int level = 3; level >= 0; level--) {
        unsigned index = (unsigned)(linear >> (12 + 9 * level)) & 511;
        const uint64_t *entry = guest_phys(table + index * 8, 8);
        if (!entry || !(*entry & PTE_P)) return -1;
        if (level == 0 || ((level == 1 || level == 2) && (*entry & PTE_PS))) {
            uint64_t span = 1ull << (12 + 9 * level);
            *gpa = ((*entry & PTE_ADDR) & ~(span - 1)) | (linear & (span - 1));
            return 0;
        }
        table = *entry & PTE_ADDR;
    }
    return -1;
}

int guest_read(uint16_t vps, uint64_t linear, void *out, unsigned bytes) {
    uint8_t *o = out;
    while (bytes) {
        unsigned chunk = 4096 - (unsigned)(linear & 4095);
        if (chunk > bytes) chunk = bytes;
        uint64_t gpa;
        if (translate(vps, linear, &gpa) != 0) return -1;
        const uint8_t *p = guest_phys(gpa, chunk);
        if (!p) return -1;
        for (unsigned i = 0; i < chunk; i++) o[i] = p[i];
        o += chunk;
        linear += chunk;
        bytes -= chunk;
    }
    return 0;
}
