/* SVM: bringing it up, the VMCB pool, fields by offset, and registers by
 * bf_reg_t, placed exactly as the sim's amd.ts places() says. */
#include "bf.h"
#include "bfx_wire.h"
#include "cpu.h"
#include "crc32.h"
#include "msr.h"
#include "string.h"
#include "svm.h"

#define MSR_EFER 0xC0000080
#define MSR_VM_CR 0xC0010114
#define MSR_VM_HSAVE_PA 0xC0010117
#define VM_CR_SVMDIS (1u << 4)

uint8_t svm_vmcb[ARCH_VPSS][VMCB_SIZE] __attribute__((aligned(4096)));
struct svm_saved svm_saved[ARCH_VPSS];

/* where VMRUN keeps the host's state, and VMSAVE the rest of it */
static uint8_t host_save[4096] __attribute__((aligned(4096)));
static int up;

static int svm_init(char *why, size_t n) {
    if (up) return 0;
    uint32_t r[4];
    cpuid(0x80000000, 0, r);
    if (r[0] < 0x8000000A) {
        arch_say(why, n, "the processor has no CPUID leaf 0x8000000A: no SVM", 0);
        return -1;
    }
    cpuid(0x80000001, 0, r);
    if (!((r[2] >> 2) & 1)) {
        arch_say(why, n, "the processor offers no SVM (CPUID 0x80000001 ECX bit 2)", 0);
        return -1;
    }
    cpuid(0x8000000A, 0, r);
    if (!(r[3] & 1)) {
        arch_say(why, n, "the processor offers SVM without nested paging (CPUID 0x8000000A EDX bit 0)", 0);
        return -1;
    }
    /* Bochs' AMD models have no VM_CR: an MSR that is not there disables nothing */
    uint64_t vm_cr = 0;
    if (msr_read_safe(MSR_VM_CR, &vm_cr) == 0 && (vm_cr & VM_CR_SVMDIS)) {
        arch_say(why, n, "SVM is disabled (VM_CR.SVMDIS)", 0);
        return -1;
    }
    wrmsr64(MSR_EFER, rdmsr64(MSR_EFER) | EFER_SVME);
    wrmsr64(MSR_VM_HSAVE_PA, phys_of(host_save));
    npt_build();
    run_maps_build();
    up = 1;
    return 0;
}

uint64_t svm_host_save_pa(void) {
    return phys_of(host_save);
}


static void svm_vps_reset(uint16_t vps) {
    uint64_t *v = (uint64_t *)svm_vmcb[vps];
    for (unsigned i = 0; i < VMCB_SIZE / 8; i++) v[i] = 0;
    svm_saved[vps] = (struct svm_saved){0};
}

static int field_ok(uint64_t index, unsigned bytes) {
    return (bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8) && index <= VMCB_SIZE - bytes && index % bytes == 0;
}

static uint64_t load(const uint8_t *at, unsigned bytes) {
    switch (bytes) {
    case 1: return *at;
    case 2: return *(const uint16_t *)at;
    case 4: return *(const uint32_t *)at;
    default: return *(const uint64_t *)at;
    }
}

static void store(uint8_t *at, unsigned bytes, uint64_t value) {
    switch (bytes) {
    case 1: *at = (uint8_t)value; break;
    case 2: *(uint16_t *)at = (uint16_t)value; break;
    case 4: *(uint32_t *)at = (uint32_t)value; break;
    default: *(uint64_t *)at = value; break;
    }
}

static int svm_vps_read(uint16_t vps, uint64_t index, unsigned bytes, uint64_t *value) {
    if (!field_ok(index, bytes)) return -1;
    *value = load(svm_vmcb[vps] + index, bytes);
    return 0;
}

static int svm_vps_write(uint16_t vps, uint64_t index, unsigned bytes, uint64_t value) {
    if (!field_ok(index, bytes)) return -1;
    store(svm_vmcb[vps] + index, bytes, value);
    return 0;
}

/* a bf_reg_t's place: a VMCB offset and width, or (bytes 0) a saved slot */
struct place {
    uint16_t off;
    uint8_t bytes;
};

#define SEG(name, base)                                   \
    [bf_reg_t_##name##_selector] = {(base), 2},           \
    [bf_reg_t_##name##_attributes] = {(base) + 2, 2},     \
    [bf_reg_t_##name##_limit] = {(base) + 4, 4},          \
    [bf_reg_t_##name##_base_addr] = {(base) + 8, 8}

static const struct place places[bf_reg_t_count] = {
    [bf_reg_t_rax] = {0x5F8, 8},
    [bf_reg_t_rip] = {0x578, 8},
    [bf_reg_t_rsp] = {0x5D8, 8},
    [bf_reg_t_rflags] = {0x570, 8},
    [bf_reg_t_gdtr_base_addr] = {0x468, 8},
    [bf_reg_t_gdtr_limit] = {0x464, 4},
    [bf_reg_t_idtr_base_addr] = {0x488, 8},
    [bf_reg_t_idtr_limit] = {0x484, 4},
    SEG(es, 0x400), SEG(cs, 0x410), SEG(ss, 0x420), SEG(ds, 0x430),
    SEG(fs, 0x440), SEG(gs, 0x450), SEG(ldtr, 0x470), SEG(tr, 0x490),
    [bf_reg_t_cr0] = {0x558, 8},
    [bf_reg_t_cr2] = {0x640, 8},
    [bf_reg_t_cr3] = {0x550, 8},
    [bf_reg_t_cr4] = {0x548, 8},
    [bf_reg_t_dr6] = {0x568, 8},
    [bf_reg_t_dr7] = {0x560, 8},
    [bf_reg_t_ia32_efer] = {0x4D0, 8},
    [bf_reg_t_ia32_star] = {0x600, 8},
    [bf_reg_t_ia32_lstar] = {0x608, 8},
    [bf_reg_t_ia32_cstar] = {0x610, 8},
    [bf_reg_t_ia32_fmask] = {0x618, 8},
    [bf_reg_t_ia32_fs_base] = {0x448, 8},
    [bf_reg_t_ia32_gs_base] = {0x458, 8},
    [bf_reg_t_ia32_kernel_gs_base] = {0x620, 8},
    [bf_reg_t_ia32_sysenter_cs] = {0x628, 8},
    [bf_reg_t_ia32_sysenter_esp] = {0x630, 8},
    [bf_reg_t_ia32_sysenter_eip] = {0x638, 8},
    [bf_reg_t_ia32_pat] = {0x668, 8},
    [bf_reg_t_ia32_debugctl] = {0x670, 8},
    /* rbx..r15: bytes 0, in the saved area */
};

_Static_assert(bf_reg_t_r15 - bf_reg_t_rbx + 1 == SVM_GPRS, "rbx..r15 are the saved GPRs");

static uint64_t svm_reg_read(uint16_t vps, unsigned reg) {
    if (reg >= bf_reg_t_rbx && reg <= bf_reg_t_r15) return svm_saved[vps].gpr[reg - bf_reg_t_rbx];
    return load(svm_vmcb[vps] + places[reg].off, places[reg].bytes);
}

static void svm_reg_write(uint16_t vps, unsigned reg, uint64_t value) {
    if (reg >= bf_reg_t_rbx && reg <= bf_reg_t_r15) svm_saved[vps].gpr[reg - bf_reg_t_rbx] = value;
    else store(svm_vmcb[vps] + places[reg].off, places[reg].bytes, value);
}

static void svm_dump(uint16_t vps, void (*line)(const char *name, uint64_t value)) {
    line("intercept misc1 (0x00c)", *vmcb32(vps, VMCB_INTERCEPT_MISC1));
    line("intercept misc2 (0x010)", *vmcb32(vps, VMCB_INTERCEPT_MISC2));
    line("guest asid (0x058)", *vmcb32(vps, VMCB_GUEST_ASID));
    line("exitcode (0x070)", *vmcb64(vps, VMCB_EXITCODE));
    line("exitinfo1 (0x078)", *vmcb64(vps, VMCB_EXITINFO1));
    line("exitinfo2 (0x080)", *vmcb64(vps, VMCB_EXITINFO2));
}


static uint32_t svm_state_crc(uint32_t crc) {
    crc = crc32_update(crc, svm_vmcb, (size_t)CONFIG_VPSS * VMCB_SIZE);
    return crc32_update(crc, svm_saved, (size_t)CONFIG_VPSS * sizeof(struct svm_saved));
}

/* the bench's VPS: CPUID intercepted, and what VMRUN demands */
static void svm_intercept_cpuid(uint16_t vps) {
    *vmcb32(vps, VMCB_INTERCEPT_MISC1) = MISC1_CPUID;
    *vmcb32(vps, VMCB_INTERCEPT_MISC2) = MISC2_VMRUN;
    *vmcb32(vps, VMCB_GUEST_ASID) = 1;
}

const struct arch_ops svm_ops = {
    .id = BFX_WIRE_ARCH_AMD,
    .init = svm_init,
    .vps_reset = svm_vps_reset,
    .vps_read = svm_vps_read,
    .vps_write = svm_vps_write,
    .reg_read = svm_reg_read,
    .reg_write = svm_reg_write,
    .run = svm_run,
    .dump = svm_dump,
    .state_crc = svm_state_crc,
    .selftest = svm_selftest,
    .intercept_cpuid = svm_intercept_cpuid,
    .exit_cpuid = BF_SVM_EXIT_CPUID,
};
