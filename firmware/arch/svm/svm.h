/* AMD SVM inside the architecture half: the VMCB layout (AMD APM vol. 2,
 * appendix B), the pools, and what the files of arch/svm/ share. */
#ifndef SVM_H
#define SVM_H

#include <stddef.h>
#include <stdint.h>
#include "backend.h"

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

struct svm_saved {
    uint64_t gpr[SVM_GPRS];
};

extern uint8_t svm_vmcb[ARCH_VPSS][VMCB_SIZE];
extern struct svm_saved svm_saved[ARCH_VPSS];

static inline uint8_t *vmcb(uint16_t vps) { return svm_vmcb[vps]; }
static inline uint32_t *vmcb32(uint16_t vps, unsigned off) { return (uint32_t *)(svm_vmcb[vps] + off); }
static inline uint64_t *vmcb64(uint16_t vps, unsigned off) { return (uint64_t *)(svm_vmcb[vps] + off); }

uint64_t svm_host_save_pa(void);

/* run.c: the firmware's own intercept maps, built once; what advance_ip needs of an exit */
void run_maps_build(void);
void svm_note_exit(uint16_t vps, uint64_t code, uint64_t info1, uint64_t info2);

/* run.c: entering the guest (arch_run); selftest.c: the archtest mode */
void svm_run(uint16_t vps, int promoted, struct arch_event *e);
unsigned svm_selftest(void);

/* svm_run.S: VMLOAD, VMRUN, VMSAVE around the guest, its GPRs swapped in and out */
void svm_enter(struct svm_saved *guest, uint64_t vmcb_pa, uint64_t host_save_pa);

/* npt.c: the nested page tables */
void npt_build(void);
uint64_t npt_root(void);


#endif
