/* Intel VMX inside the architecture half: VMCS field encodings (Intel SDM
 * vol. 3, appendix B), the instructions, the pools, and what the files of
 * arch/vmx/ share.
 *
 * A VPS is one VMCS. What the extension sees of it is the VMCS as the sim's
 * intel.ts lays it out: the fields it lists, each read and written by its
 * encoding at its own width, the read-only ones refusing writes. Most of
 * those fields live in the hardware VMCS and go to it with VMREAD and
 * VMWRITE. The rest are kept by the firmware (`soft`), because the
 * hardware gets the firmware's own values for them while the guest runs:
 * the controls it must force (HLT exiting, EPT, the host's 64-bit state),
 * the bitmaps (only pages the extension was given), CR0 and CR4 with their
 * fixed bits, the host state, and the exit information (a HLT the extension
 * did not ask for leaves it as it was). */
#ifndef VMX_H
#define VMX_H

#include <stdint.h>
#include "backend.h"

/* ---- field encodings ---- */
#define VMCS_VPID 0x0000
#define VMCS_GUEST_ES_SELECTOR 0x0800
#define VMCS_HOST_ES_SELECTOR 0x0C00
#define VMCS_HOST_CS_SELECTOR 0x0C02
#define VMCS_HOST_SS_SELECTOR 0x0C04
#define VMCS_HOST_DS_SELECTOR 0x0C06
#define VMCS_HOST_FS_SELECTOR 0x0C08
#define VMCS_HOST_GS_SELECTOR 0x0C0A
#define VMCS_HOST_TR_SELECTOR 0x0C0C
#define VMCS_IO_BITMAP_A 0x2000
#define VMCS_IO_BITMAP_B 0x2002
#define VMCS_MSR_BITMAP 0x2004
#define VMCS_EXIT_MSR_STORE 0x2006
#define VMCS_EXIT_MSR_LOAD 0x2008
#define VMCS_ENTRY_MSR_LOAD 0x200A
#define VMCS_EPTP 0x201A
#define VMCS_GUEST_PHYSICAL_ADDRESS 0x2400
#define VMCS_LINK_POINTER 0x2800
#define VMCS_GUEST_EFER 0x2806
#define VMCS_HOST_PAT 0x2C00
#define VMCS_HOST_EFER 0x2C02
#define VMCS_PIN_CONTROLS 0x4000
#define VMCS_PROC_CONTROLS 0x4002
#define VMCS_EXCEPTION_BITMAP 0x4004
#define VMCS_EXIT_CONTROLS 0x400C
#define VMCS_EXIT_MSR_STORE_COUNT 0x400E
#define VMCS_EXIT_MSR_LOAD_COUNT 0x4010
#define VMCS_ENTRY_CONTROLS 0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT 0x4014
#define VMCS_PROC2_CONTROLS 0x401E
#define VMCS_INSTRUCTION_ERROR 0x4400
#define VMCS_EXIT_REASON 0x4402
#define VMCS_EXIT_INSTRUCTION_LENGTH 0x440C
#define VMCS_EXIT_INSTRUCTION_INFO 0x440E
#define VMCS_HOST_SYSENTER_CS 0x4C00
#define VMCS_CR0_MASK 0x6000
#define VMCS_CR4_MASK 0x6002
#define VMCS_CR0_SHADOW 0x6004
#define VMCS_CR4_SHADOW 0x6006
#define VMCS_EXIT_QUALIFICATION 0x6400
#define VMCS_GUEST_CR0 0x6800
#define VMCS_GUEST_CR4 0x6804
#define VMCS_GUEST_RIP 0x681E
#define VMCS_HOST_CR0 0x6C00
#define VMCS_HOST_CR3 0x6C02
#define VMCS_HOST_CR4 0x6C04
#define VMCS_HOST_FS_BASE 0x6C06
#define VMCS_HOST_GS_BASE 0x6C08
#define VMCS_HOST_TR_BASE 0x6C0A
#define VMCS_HOST_GDTR_BASE 0x6C0C
#define VMCS_HOST_IDTR_BASE 0x6C0E
#define VMCS_HOST_SYSENTER_ESP 0x6C10
#define VMCS_HOST_SYSENTER_EIP 0x6C12
#define VMCS_HOST_RSP 0x6C14
#define VMCS_HOST_RIP 0x6C16

/* ---- controls ---- */
#define PROC_HLT_EXITING (1u << 7)
#define PROC_TPR_SHADOW (1u << 21)
#define PROC_NMI_WINDOW (1u << 22)
#define PROC_UNCONDITIONAL_IO (1u << 24)
#define PROC_USE_IO_BITMAPS (1u << 25)
#define PROC_USE_MSR_BITMAPS (1u << 28)
#define PROC_SECONDARY (1u << 31)
#define PROC2_EPT (1u << 1)
/* what an extension may turn on of the secondary controls: each needs no field the firmware does not keep */
#define PROC2_ALLOWED ((1u << 2) | (1u << 3) | (1u << 6) | (1u << 7) | (1u << 12))
#define EXIT_HOST_64 (1u << 9)
#define EXIT_SAVE_PAT (1u << 18)
#define EXIT_LOAD_PAT (1u << 19)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
#define ENTRY_IA32E_GUEST (1u << 9)
#define ENTRY_LOAD_PAT (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)

/* the sim's ZERO_PAGE_PHYS: a new VPS's MSR bitmap points at it and intercepts nothing */
#define VMX_ZERO_PAGE_PHYS 0xFF000ull

/* exit reasons the firmware looks at */
#define VMX_EXIT_TRIPLE_FAULT 2
#define VMX_EXIT_CPUID 10
#define VMX_EXIT_HLT 12
#define VMX_EXIT_VMCALL 18
#define VMX_EXIT_IO 30
#define VMX_EXIT_EPT_VIOLATION 48
#define VMX_EXIT_ENTRY_FAILED (1u << 31)

/* ---- the pool ---- */

/* the registers VM entry and exit do not switch, in bf_reg_t order for
 * rax..r15 (vmx_run.S knows this layout), then the rest the sim keeps
 * beside the VMCS */
struct vmx_saved {
    uint64_t gpr[15]; /* rax..r15 */
    uint64_t cr2, dr6, star, lstar, cstar, fmask, kernel_gs_base;
};

extern struct vmx_saved vmx_saved[ARCH_VPSS];

/* the field list (fields.c): slots in the sim's order */
#define VMX_FIELDS 128
struct vmx_field {
    uint16_t encoding;
    uint8_t soft; /* kept by the firmware, not in the hardware VMCS */
};
extern const struct vmx_field vmx_fields[];
extern const unsigned vmx_field_count;
/* the slot of an encoding, or -1 when the sim lists no such field */
int vmx_slot(uint64_t encoding);
/* what the firmware keeps per VPS: every field's value while the VMCS is
 * not yet in use, and the soft fields always */
extern uint64_t vmx_copy[ARCH_VPSS][VMX_FIELDS];

/* bytes of a field from its encoding (bits 14:13) */
static inline unsigned field_bytes(uint64_t encoding) {
    static const uint8_t by_type[4] = {2, 8, 4, 8};
    return by_type[(encoding >> 13) & 3];
}

static inline int field_read_only(uint64_t encoding) {
    return ((encoding >> 10) & 3) == 1;
}

/* a field, wherever it lives (vmx.c) */
uint64_t vmx_get(uint16_t vps, uint16_t encoding);
void vmx_set(uint16_t vps, uint16_t encoding, uint64_t value);
/* the VPS's hardware VMCS made current, set up at its first use */
void vmx_load(uint16_t vps);
/* VMLAUNCH (1) or VMRESUME (0) next */
extern uint8_t vmx_launched[ARCH_VPSS];

/* what bring-up found (vmx.c) */
struct vmx_caps {
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint32_t pin0, pin1, proc0, proc1, proc2_0, proc2_1, exit0, exit1, entry0, entry1;
    int ins_outs_info; /* the exit instruction information of INS/OUTS says the address size */
};
extern struct vmx_caps vmx_caps;

/* a control value with the processor's fixed bits: must-be-one set, may-not-be-one cleared */
static inline uint32_t vmx_adjust(uint32_t want, uint32_t must, uint32_t may) {
    return (want | must) & may;
}

/* ---- the instructions: 0 when they succeed ---- */

static inline int vmx_ptr_op_ok(uint8_t ok) { return ok ? 0 : -1; }

static inline int vmxon(uint64_t pa) {
    uint8_t ok;
    __asm__ volatile("vmxon %1; seta %0" : "=qm"(ok) : "m"(pa) : "cc", "memory");
    return vmx_ptr_op_ok(ok);
}

static inline int vmclear(uint64_t pa) {
    uint8_t ok;
    __asm__ volatile("vmclear %1; seta %0" : "=qm"(ok) : "m"(pa) : "cc", "memory");
    return vmx_ptr_op_ok(ok);
}

static inline int vmptrld(uint64_t pa) {
    uint8_t ok;
    __asm__ volatile("vmptrld %1; seta %0" : "=qm"(ok) : "m"(pa) : "cc", "memory");
    return vmx_ptr_op_ok(ok);
}

static inline uint64_t vmread(uint64_t encoding) {
    uint64_t value = 0;
    __asm__ volatile("vmread %1, %0" : "=r"(value) : "r"(encoding) : "cc");
    return value;
}

static inline void vmwrite(uint64_t encoding, uint64_t value) {
    __asm__ volatile("vmwrite %1, %0" : : "r"(encoding), "r"(value) : "cc");
}

/* ---- the files ---- */

/* ept.c: the extended page tables over guest memory, and their EPTP */
void ept_build(void);
uint64_t ept_pointer(void);

/* run.c */
void vmx_run(uint16_t vps, int promoted, struct arch_event *e);
/* vmx_run.S: into the guest and back; 0 after a VM exit, 1 when VMLAUNCH or VMRESUME failed */
int vmx_enter(struct vmx_saved *guest, int launched);
void vmx_exit_entry(void);

/* selftest.c */
unsigned vmx_selftest(void);

#endif
