/* The bench's native baseline: the same CPUID exits an extension handles
 * over the wire, answered here instead, as extensions/cpuid/main.ts
 * answers them. It runs on a VPS of its own and in the guest slot kept for
 * it, so the root guest of any processor is left as it was. */
#include "../guest/layout.h"
#include "backend.h"
#include "bf.h"

#define HYPERVISOR_LEAF 0x40000000u
#define HYPERVISOR_PRESENT (1u << 31) /* CPUID(1).ECX */

/* "BfxHyperWasm" as CPUID(0x40000000) gives it in ebx, ecx, edx */
static const uint32_t signature[3] = {0x48786642, 0x72657079, 0x6D736157};

uint64_t arch_bench_cpuid(uint32_t n) {
    const uint16_t vps = ARCH_BENCH_VPS;
    if (n == 0) return 0; /* the guest's loop counts down from N: it needs one at least */
    arch_vps_reset(vps);
    root_load(vps, GUEST_BENCH_SLOT, GUEST_BENCH_SLOT, SCENARIO_CPUID_LOOP, n);
    const struct arch_ops *b = arch_backend();
    b->intercept_cpuid(vps);
    uint64_t exits = 0;
    for (;;) {
        struct arch_event e;
        arch_run(vps, 0, &e);
        if (e.kind != ARCH_EXIT || e.reason != b->exit_cpuid) break;
        exits++;
        uint32_t leaf = (uint32_t)arch_reg_read(vps, bf_reg_t_rax);
        uint32_t r[4];
        if (leaf == HYPERVISOR_LEAF) {
            r[0] = HYPERVISOR_LEAF;
            r[1] = signature[0];
            r[2] = signature[1];
            r[3] = signature[2];
        } else {
            arch_cpuid(leaf, (uint32_t)arch_reg_read(vps, bf_reg_t_rcx), r);
            if (leaf == 1) r[2] |= HYPERVISOR_PRESENT;
        }
        arch_reg_write(vps, bf_reg_t_rax, r[0]);
        arch_reg_write(vps, bf_reg_t_rbx, r[1]);
        arch_reg_write(vps, bf_reg_t_rcx, r[2]);
        arch_reg_write(vps, bf_reg_t_rdx, r[3]);
        arch_advance_ip(vps);
    }
    return exits;
}
