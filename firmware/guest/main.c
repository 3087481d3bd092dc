/* The root guest: the programs of host/backend/sim/guest/scenarios.ts, as
 * real instructions, printing exactly the sim's lines. It keeps no globals
 * (the linker script checks): the guests of all processors share this code,
 * each on its own stack, and the firmware may reload it at any time. */
#include "insn.h"
#include "layout.h"

#define IA32_PAT 0x277
#define IA32_TSC_AUX 0xC0000103
#define POST_PORT 0x80
#define SYSTEM_CONTROL_PORT 0x61

void guest_main(uint64_t rsp);

__attribute__((always_inline)) static inline void cpuid_tour(struct regs *r) {
    do_cpuid(r, 0, 0);
    print(r, "cpuid(0) vendor={sig:rbx,rdx,rcx} max-leaf={rax}\n");
    do_cpuid(r, 0x40000000, 0);
    print(r, "cpuid(0x40000000) signature={sig:rbx,rcx,rdx} max-leaf={rax}\n");
    do_cpuid(r, 1, 0);
    print(r, "cpuid(1) hypervisor-bit={bit:rcx:31}\n");
}

__attribute__((always_inline)) static inline void msr_tour(struct regs *r) {
    do_rdmsr(r, IA32_PAT);
    print(r, "rdmsr(IA32_PAT)={edx:eax}\n");
    do_wrmsr(r, IA32_TSC_AUX, 0x1234);
    do_rdmsr(r, IA32_TSC_AUX);
    print(r, "wrmsr(IA32_TSC_AUX, 0x1234) then rdmsr={edx:eax}\n");
}

__attribute__((always_inline)) static inline void io_tour(struct regs *r) {
    do_outb_imm(r, POST_PORT, 0x42);
    print(r, "out 0x80 <- 0x42\n");
    do_inb_imm(r, SYSTEM_CONTROL_PORT);
    print(r, "in 0x61 -> {rax}\n");
}

__attribute__((always_inline)) static inline void vmcall_tour(struct regs *r, int intel) {
    do_hypercall(r, 0xBF01, intel);
    print(r, "vmcall(0xbf01) returned rax={rax}\n");
}

/* mov rsi, n; again: cpuid(0x40000000); dec rsi; jnz again — in one piece
 * of assembly, so that rsi is the counter an exit handler sees */
__attribute__((always_inline)) static inline void cpuid_loop(struct regs *r, uint64_t n) {
    __asm__ volatile("1: mov $0x40000000, %%eax\n\t"
                     "xor %%ecx, %%ecx\n\t"
                     "cpuid\n\t"
                     "dec %%rsi\n\t"
                     "jnz 1b"
                     : "+S"(n), "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx), "+d"(r->rdx));
    print(r, "cpuid-loop done: signature={sig:rbx,rcx,rdx}\n");
}

void guest_main(uint64_t rsp) {
    uint64_t slot = (rsp - GUEST_STACK_TOP) / GUEST_STACK_STRIDE;
    if (rsp < GUEST_STACK_TOP || slot >= GUEST_SLOTS) run_off_the_end();
    const volatile struct guest_scenario *s = (const volatile struct guest_scenario *)(uintptr_t)(GUEST_SCENARIOS + slot * sizeof(struct guest_scenario));
    if (s->magic != GUEST_SCENARIO_MAGIC) run_off_the_end();
    struct regs r = {0, 0, 0, 0, s->ppid};
    switch (s->id) {
    case SCENARIO_CPUID:
        print(&r, "hello from pp {pp}\n");
        cpuid_tour(&r);
        break;
    case SCENARIO_MSR:
        print(&r, "hello from pp {pp}\n");
        msr_tour(&r);
        break;
    case SCENARIO_IO:
        print(&r, "hello from pp {pp}\n");
        io_tour(&r);
        break;
    case SCENARIO_VMCALL:
        print(&r, "hello from pp {pp}\n");
        vmcall_tour(&r, s->intel != 0);
        break;
    case SCENARIO_TOUR:
        print(&r, "hello from pp {pp}\n");
        cpuid_tour(&r);
        msr_tour(&r);
        io_tour(&r);
        break;
    case SCENARIO_CPUID_LOOP:
        if (s->arg == 0) run_off_the_end();
        cpuid_loop(&r, s->arg);
        break;
    case SCENARIO_IDLE:
        break;
    case SCENARIO_RUNAWAY:
        print(&r, "about to run off the end\n");
        run_off_the_end();
    default:
        run_off_the_end();
    }
    do_hlt();
}
