/* AMD SVM inside the architecture half: the VMCB layout (AMD APM vol. 2,
 * appendix B), the pools, and what the files of arch/ share. */
#ifndef SVM_H
#define SVM_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"

#define VMCB_SIZE 4096u

/* control area */
#define VMCB_INTERCEPT_CR 0x000
#define VMCB_INTERCEPT_DR 0x004
#define VMCB_INTERCEPT_EXCEPTIONS 0x008
#define VMCB_INTERCEPT_MISC1 0x00C
#define VMCB_INTERCEPT_MISC2 0x010
#define VMCB_IOPM_BASE_PA 0x040
#define VMCB_MSRPM_BASE_PA 0x048
#define VMCB_GUEST_ASID 0x058
#define VMCB_EXITCODE 0x070
#define VMCB_EXITINFO1 0x078
#define VMCB_EXITINFO2 0x080
#define VMCB_NP_ENABLE 0x090
#define VMCB_N_CR3 0x0B0

/* state save area */
#define VMCB_SAVE 0x400
#define VMCB_SAVE_END 0x678 /* past the last field a bf_reg_t names */
#define VMCB_CS 0x410
#define VMCB_EFER 0x4D0
#define VMCB_CR4 0x548
#define VMCB_CR3 0x550
#define VMCB_CR0 0x558
#define VMCB_RFLAGS 0x570
#define VMCB_RIP 0x578
#define VMCB_RSP 0x5D8
#define VMCB_RAX 0x5F8

#define MISC1_CPUID (1u << 18)
#define MISC1_HLT (1u << 24)
#define MISC1_IOIO_PROT (1u << 27)
#define MISC1_MSR_PROT (1u << 28)
#define MISC1_SHUTDOWN (1u << 31)
#define MISC2_VMRUN (1u << 0)
#define MISC2_VMMCALL (1u << 1)

#define EFER_SVME (1ull << 12)
#define EFER_LMA (1ull << 10)
#define CR0_PG (1ull << 31)
#define RFLAGS_DF (1ull << 10)

/* EXITINFO1 of an IOIO exit */
#define IOIO_IN (1u << 0)
#define IOIO_STR (1u << 2)
#define IOIO_REP (1u << 3)
#define IOIO_SIZE_SHIFT 4 /* bits 6:4: 1, 2 or 4 bytes, one-hot */
#define IOIO_ADDR_SHIFT 7 /* bits 9:7: 16-, 32- or 64-bit addresses, one-hot */

#define IOPM_BYTES (3 * 4096u)
#define MSRPM_BYTES (2 * 4096u)

/* the guest registers VMRUN does not keep in the VMCB: rbx..r15 in
 * bf_reg_t order (slot = bf_reg_t - 1); svm_run.S knows this layout */
#define SVM_GPRS 14

/* what advance_ip needs of the last exit, kept from when it happened */
struct svm_exit_note {
    uint8_t length;     /* of the instruction that exited; 0: nothing to move past */
    uint8_t string;     /* a string I/O instruction: one element per advance */
    uint8_t rep;
    uint8_t size;       /* bytes per element */
    uint8_t addr_bytes; /* rsi/rcx width */
    uint8_t input;      /* INS (moves rdi) rather than OUTS (moves rsi) */
    uint8_t zero[2];
};

struct svm_saved {
    uint64_t gpr[SVM_GPRS];
    struct svm_exit_note note;
};

/* the pool, and one VPS more that only the bench uses */
#define SVM_VPSS (CONFIG_VPSS + 1)
#define SVM_BENCH_VPS CONFIG_VPSS

extern uint8_t svm_vmcb[SVM_VPSS][VMCB_SIZE];
extern struct svm_saved svm_saved[SVM_VPSS];

static inline uint8_t *vmcb(uint16_t vps) { return svm_vmcb[vps]; }
static inline uint32_t *vmcb32(uint16_t vps, unsigned off) { return (uint32_t *)(svm_vmcb[vps] + off); }
static inline uint64_t *vmcb64(uint16_t vps, unsigned off) { return (uint64_t *)(svm_vmcb[vps] + off); }

static inline void wrmsr64(uint32_t msr, uint64_t value) {
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

static inline uint64_t rdmsr64(uint32_t msr) {
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t phys_of(const void *p) {
    return (uint64_t)(uintptr_t)p; /* the firmware runs identity-mapped */
}

/* copies words; the kernel's memcpy goes a byte at a time */
static inline void copy64(void *dst, const void *src, size_t bytes) {
    uint64_t *d = dst;
    const uint64_t *s = src;
    for (size_t i = 0; i < bytes / 8; i++) d[i] = s[i];
}

/* a sentence into a caller's buffer, cut to fit */
void svm_say(char *why, size_t n, const char *first, const char *second);

uint64_t svm_host_save_pa(void);

/* run.c: the firmware's own intercept maps, built once */
void run_maps_build(void);

/* svm_run.S: VMLOAD, VMRUN, VMSAVE around the guest, its GPRs swapped in and out */
void svm_enter(struct svm_saved *guest, uint64_t vmcb_pa, uint64_t host_save_pa);

/* npt.c: the nested page tables, and guest memory as the firmware reaches it */
void npt_build(void);
uint64_t npt_root(void);
/* the firmware's pointer to guest-physical [gpa, gpa + bytes), or 0 outside guest memory */
void *guest_phys(uint64_t gpa, uint64_t bytes);
/* reads guest memory at a linear address of the VPS's guest, through its
 * own paging: 0, or -1 when some byte is not mapped */
int guest_read(uint16_t vps, uint64_t linear, void *out, unsigned bytes);

/* decode.c: instruction lengths, and what an exit leaves for advance_ip */
#define MAX_INSN 15
unsigned insn_length(const uint8_t *bytes, unsigned n);
/* the instruction at the guest's rip: its bytes (*n of them could be read) and its length, 0 when unknown */
unsigned decode_at_rip(uint16_t vps, uint8_t bytes[MAX_INSN], unsigned *n);
void decode_note_exit(uint16_t vps, uint64_t code, uint64_t info1, uint64_t info2);

/* root.c: loads the root guest into a slot of guest memory and its state into a VPS */
void root_load(uint16_t vps, unsigned slot, uint64_t ppid, uint32_t scenario, uint64_t arg);

#endif
