/* The root guest's memory, as guest-physical addresses: what the firmware
 * writes before it enters the guest (arch/root.c) and what the guest reads.
 * Included by C, by assembly and by the guest's linker script. */
#ifndef GUEST_LAYOUT_H
#define GUEST_LAYOUT_H

#define GUEST_MEMORY 0x400000       /* 4 MiB: all a guest can reach through nested paging */
#define GUEST_PML4 0x1000           /* the guest's own page tables: */
#define GUEST_PDPT 0x2000           /*   guest memory identity-mapped */
#define GUEST_PD 0x3000             /*   with 2 MiB pages */
#define GUEST_SCENARIOS 0x4000      /* a struct guest_scenario per slot */
#define GUEST_GDT 0x5000            /* null, code 0x08, data 0x10, TSS 0x18 */
#define GUEST_IDT 0x6000            /* all zero: any exception triple-faults */
#define GUEST_TSS 0x7000            /* + slot * GUEST_TSS_STRIDE */
#define GUEST_TSS_STRIDE 0x100
#define GUEST_STACK_TOP 0x80000     /* + slot * GUEST_STACK_STRIDE: rsp at entry */
#define GUEST_STACK_STRIDE 0x1000
#define GUEST_CODE 0x100000         /* the guest image; its entry is its first byte */
#define GUEST_CODE_MAX 0x100000     /* room for the image */

/* A slot per physical processor, and a spare one the firmware's bench
 * runs in: the guest finds its slot from the rsp it starts with, so that
 * read_reg after init_as_root shows exactly the sim's root state. */
#define GUEST_SLOTS 16
#define GUEST_BENCH_SLOT (GUEST_SLOTS - 1)

#define GUEST_SCENARIO_MAGIC 0x47584642 /* "BFXG" */

/* the scenarios, as scenarios.ts lists them */
#define SCENARIO_CPUID 1
#define SCENARIO_MSR 2
#define SCENARIO_IO 3
#define SCENARIO_VMCALL 4
#define SCENARIO_TOUR 5
#define SCENARIO_CPUID_LOOP 6
#define SCENARIO_IDLE 7
#define SCENARIO_RUNAWAY 8

#if !defined(__ASSEMBLER__) && !defined(LINKER_SCRIPT)
#include <stdint.h>

struct guest_scenario {
    uint32_t magic;
    uint32_t id;   /* SCENARIO_* */
    uint64_t arg;  /* cpuid-loop: N */
    uint64_t ppid; /* what {pp} prints */
    uint64_t intel; /* the hypercall is VMCALL (Intel) rather than VMMCALL (AMD) */
};
#endif

#endif
