/* Guest memory: a static, 2 MiB-aligned region of the firmware, which the
 * nested page tables of either backend (svm/npt.c, vmx/ept.c) map at
 * guest-physical 0 and nothing else, so a guest never reaches the
 * firmware. And the way back: the firmware reading guest memory through
 * the guest's own paging (to decode an instruction, to read an OUTS). */
#include "../guest/layout.h"
#include "backend.h"
#include "bf.h"

#define PAGE_2M 0x200000ull
#define PTE_P 0x1ull
#define PTE_PS 0x80ull
#define PTE_ADDR 0x000FFFFFFFFFF000ull

_Static_assert(GUEST_MEMORY % PAGE_2M == 0 && GUEST_MEMORY / PAGE_2M <= 512, "guest memory is whole 2 MiB pages under one PD");

static uint8_t memory[GUEST_MEMORY] __attribute__((aligned(PAGE_2M)));

uint64_t guest_memory_base(void) {
    return phys_of(memory);
}

void *guest_phys(uint64_t gpa, uint64_t bytes) {
    if (gpa >= GUEST_MEMORY || bytes > GUEST_MEMORY - gpa) return 0;
    return memory + gpa;
}

/* linear → guest-physical through the guest's 4-level paging (or none) */
static int translate(uint16_t vps, uint64_t linear, uint64_t *gpa) {
    if (!(arch_reg_read(vps, bf_reg_t_cr0) & CR0_PG)) {
        *gpa = linear & 0xFFFFFFFFu;
        return 0;
    }
    if (!(arch_reg_read(vps, bf_reg_t_ia32_efer) & EFER_LMA)) return -1; /* legacy paging: no guest of ours uses it */
    uint64_t table = arch_reg_read(vps, bf_reg_t_cr3) & PTE_ADDR;
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
