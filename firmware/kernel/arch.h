/* The one interface over the virtualization extensions: AMD SVM
 * (arch/svm/) and Intel VMX (arch/vmx/), one chosen by the processor's
 * vendor (arch/arch.c). The kernel (syscall dispatch,
 * pools, the link) knows VPS numbers and bf_reg_t; everything below this
 * line — control blocks, saved registers, nested paging, entering the guest,
 * decoding instructions — belongs to the architecture. */
#ifndef ARCH_H
#define ARCH_H

#include <stddef.h>
#include <stdint.h>

/* Brings up virtualization on this processor and builds the nested page
 * tables that give guests their memory (never the firmware's). 0 when it
 * works; otherwise -1 and why in `why`. */
int arch_init(char *why, size_t n);

/* BFX_WIRE_ARCH_AMD or BFX_WIRE_ARCH_INTEL */
uint8_t arch_id(void);

/* A VPS as create_vps leaves it: the control block all zero (the extension
 * sets intercepts, VMRUN's and the ASID included), saved registers zero. */
void arch_vps_reset(uint16_t vps);

/* A control-block field by index (a VMCB byte offset on AMD, a VMCS field
 * encoding on Intel): 0, or -1 when index is not a field of that width
 * (out of range, misaligned; on Intel no such field, another width, or a
 * write to a read-only one). */
int arch_vps_read(uint16_t vps, uint64_t index, unsigned bytes, uint64_t *value);
int arch_vps_write(uint16_t vps, uint64_t index, unsigned bytes, uint64_t value);

/* A guest register by bf_reg_t; the caller has checked reg < BF_REG_T_COUNT. */
uint64_t arch_reg_read(uint16_t vps, unsigned reg);
void arch_reg_write(uint16_t vps, unsigned reg, uint64_t value);

/* Chooses the root guest's scenario (the image's `guest=NAME[:ARG]`):
 * 0, or -1 and why for an unknown name or a bad argument. */
int arch_guest_select(const char *spec, char *why, size_t n);

/* init_as_root: reloads the root guest of ppid (its memory, code and
 * scenario) and puts its starting state into the VPS. */
void arch_init_root(uint16_t vps, uint16_t ppid);

/* Moves the guest past the instruction of its last exit (decoded on AMD:
 * TCG saves no next RIP; as the VMCS says on Intel). */
void arch_advance_ip(uint16_t vps);

enum arch_stop {
    ARCH_EXIT,     /* an exit for the extension */
    ARCH_HALT,     /* the guest halted and the extension did not intercept HLT */
    ARCH_SHUTDOWN, /* the guest triple-faulted and the extension did not intercept shutdown */
    ARCH_PROMOTED, /* a promoted guest ran to its end (halt) */
};

struct arch_event {
    enum arch_stop kind;
    uint64_t reason, info1, info2; /* ARCH_EXIT: as the hardware says */
    const char *why;               /* the others: a sentence for the host */
};

/* Enters the guest of the VPS and returns at the first event for the host.
 * promoted: run it as if no hypervisor were there (only the firmware's own
 * intercepts), until it halts or shuts down. */
void arch_run(uint16_t vps, int promoted, struct arch_event *e);

/* The control-block fields worth printing in a dump: calls line() for each. */
void arch_dump(uint16_t vps, void (*line)(const char *name, uint64_t value));

/* The guest wrote to the console (COM1) since the last call; clears it.
 * An EXIT says so, and the host reads the console's file only then. */
int arch_console_written(void);

/* CPUID as this processor answers it natively (for the host's bfx_cpuid). */
void arch_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/* The native baseline for the bench: puts the root guest in its cpuid-loop
 * scenario for n iterations on a VPS of the firmware's own (not one of the
 * pool's), intercepts CPUID, answers every exit inside the firmware, and
 * returns the number of CPUID exits handled. */
uint64_t arch_bench_cpuid(uint32_t n);

/* A checksum of every control block and saved register set, for STATE:
 * equal state gives an equal checksum. */
uint32_t arch_state_crc(void);

/* The architecture's own checks, printed as PASS/FAIL/SKIP lines the way
 * kvm-unit-tests prints them (the image's archtest mode); the number failed. */
unsigned arch_selftest(void);

#endif
