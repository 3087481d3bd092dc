/* VMX: bringing it up (VMXON with the revision and fixed-bit rules), a
 * VMCS per VPS, fields by encoding, and registers by bf_reg_t, placed as
 * the sim's intel.ts places them. */
#include "bf.h"
#include "bfx_wire.h"
#include "cpu.h"
#include "crc32.h"
#include "vmx.h"

#define MSR_FEATURE_CONTROL 0x3A
#define FEATURE_CONTROL_LOCK (1ull << 0)
#define FEATURE_CONTROL_VMX (1ull << 2) /* outside SMX */
#define MSR_VMX_BASIC 0x480
#define MSR_VMX_PIN 0x481
#define MSR_VMX_PROC 0x482
#define MSR_VMX_EXIT 0x483
#define MSR_VMX_ENTRY 0x484
#define MSR_VMX_CR0_FIXED0 0x486
#define MSR_VMX_CR0_FIXED1 0x487
#define MSR_VMX_CR4_FIXED0 0x488
#define MSR_VMX_CR4_FIXED1 0x489
#define MSR_VMX_PROC2 0x48B
#define MSR_VMX_EPT_VPID_CAP 0x48C
#define MSR_VMX_TRUE_PIN 0x48D
#define MSR_VMX_TRUE_PROC 0x48E
#define MSR_VMX_TRUE_EXIT 0x48F
#define MSR_VMX_TRUE_ENTRY 0x490
#define MSR_PAT 0x277
#define MSR_EFER 0xC0000080
#define BASIC_TRUE_CONTROLS (1ull << 55)
#define BASIC_INS_OUTS_INFO (1ull << 54)
#define CR4_VMXE (1ull << 13)
#define EPT_CAP_4_LEVELS (1ull << 6)
#define EPT_CAP_WB (1ull << 14)
#define EPT_CAP_2M (1ull << 16)

struct vmx_saved vmx_saved[ARCH_VPSS];
uint64_t vmx_copy[ARCH_VPSS][VMX_FIELDS];
uint8_t vmx_launched[ARCH_VPSS];
struct vmx_caps vmx_caps;

static uint8_t vmxon_region[4096] __attribute__((aligned(4096)));
static uint8_t vmcs_region[ARCH_VPSS][4096] __attribute__((aligned(4096)));
static uint8_t prepared[ARCH_VPSS]; /* the hardware VMCS holds the VPS's fields */
static int current = -1;            /* the VPS whose VMCS is current */
static uint32_t revision;
static int up;

/* the host's GDT: the boot GDT's code and data, and the TSS VM exit needs (TR may not be 0) */
static uint64_t host_gdt[5] __attribute__((aligned(16)));
static uint8_t host_tss[0x68] __attribute__((aligned(16)));

static int fail(char *why, size_t n, const char *what) {
    arch_say(why, n, what, 0);
    return -1;
}

static void host_tables(void) {
    uint64_t tss = phys_of(host_tss);
    host_gdt[0] = 0;
    host_gdt[1] = 0x00AF9A000000FFFFull; /* 0x08: 64-bit code, as boot/entry.S */
    host_gdt[2] = 0x00CF92000000FFFFull; /* 0x10: data */
    host_gdt[3] = (sizeof host_tss - 1) | ((tss & 0xFFFFFF) << 16) | (0x89ull << 40) | (((tss >> 24) & 0xFF) << 56);
    host_gdt[4] = tss >> 32;
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) gdtr = {sizeof host_gdt - 1, phys_of(host_gdt)};
    /* the same selectors stay valid: only the table moves, and gains a TSS */
    __asm__ volatile("lgdt %0; mov $0x18, %%ax; ltr %%ax" : : "m"(gdtr) : "rax", "memory");
}

static void caps_of(uint32_t msr, uint32_t *must, uint32_t *may) {
    uint64_t v = rdmsr64(msr);
    *must = (uint32_t)v;
    *may = (uint32_t)(v >> 32);
}

static int vmx_init(char *why, size_t n) {
    if (up) return 0;
    uint32_t r[4];
    cpuid(1, 0, r);
    if (!((r[2] >> 5) & 1)) return fail(why, n, "the processor offers no VMX (CPUID 1 ECX bit 5)");
    uint64_t fc = rdmsr64(MSR_FEATURE_CONTROL);
    if (!(fc & FEATURE_CONTROL_LOCK)) wrmsr64(MSR_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX);
    else if (!(fc & FEATURE_CONTROL_VMX)) return fail(why, n, "the firmware locked VMX off (IA32_FEATURE_CONTROL bit 2 clear)");
    uint64_t basic = rdmsr64(MSR_VMX_BASIC);
    revision = (uint32_t)basic & 0x7FFFFFFF;
    int true_ctls = (basic & BASIC_TRUE_CONTROLS) != 0;
    vmx_caps.ins_outs_info = (basic & BASIC_INS_OUTS_INFO) != 0;
    caps_of(true_ctls ? MSR_VMX_TRUE_PIN : MSR_VMX_PIN, &vmx_caps.pin0, &vmx_caps.pin1);
    caps_of(true_ctls ? MSR_VMX_TRUE_PROC : MSR_VMX_PROC, &vmx_caps.proc0, &vmx_caps.proc1);
    caps_of(true_ctls ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT, &vmx_caps.exit0, &vmx_caps.exit1);
    caps_of(true_ctls ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY, &vmx_caps.entry0, &vmx_caps.entry1);
    if (!(vmx_caps.proc1 & PROC_SECONDARY)) return fail(why, n, "VMX without secondary controls: no EPT");
    caps_of(MSR_VMX_PROC2, &vmx_caps.proc2_0, &vmx_caps.proc2_1);
    if (!(vmx_caps.proc2_1 & PROC2_EPT)) return fail(why, n, "VMX without EPT (IA32_VMX_PROCBASED_CTLS2 bit 33)");
    uint64_t ept = rdmsr64(MSR_VMX_EPT_VPID_CAP);
    if ((ept & (EPT_CAP_4_LEVELS | EPT_CAP_WB | EPT_CAP_2M)) != (EPT_CAP_4_LEVELS | EPT_CAP_WB | EPT_CAP_2M))
        return fail(why, n, "EPT without 4-level walks, write-back tables or 2 MiB pages (IA32_VMX_EPT_VPID_CAP)");
    uint32_t need_exit = EXIT_HOST_64 | EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_EFER | EXIT_LOAD_EFER;
    uint32_t need_entry = ENTRY_IA32E_GUEST | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER;
    if ((vmx_caps.exit1 & need_exit) != need_exit || (vmx_caps.entry1 & need_entry) != need_entry)
        return fail(why, n, "VMX cannot switch EFER and PAT on entry and exit");
    vmx_caps.cr0_fixed0 = rdmsr64(MSR_VMX_CR0_FIXED0);
    vmx_caps.cr0_fixed1 = rdmsr64(MSR_VMX_CR0_FIXED1);
    vmx_caps.cr4_fixed0 = rdmsr64(MSR_VMX_CR4_FIXED0);
    vmx_caps.cr4_fixed1 = rdmsr64(MSR_VMX_CR4_FIXED1);

    uint64_t cr0, cr4;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    cr0 = (cr0 | vmx_caps.cr0_fixed0) & vmx_caps.cr0_fixed1;
    cr4 = (cr4 | vmx_caps.cr4_fixed0 | CR4_VMXE) & vmx_caps.cr4_fixed1;
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
    host_tables();
    *(uint32_t *)vmxon_region = revision;
    if (vmxon(phys_of(vmxon_region)) != 0) return fail(why, n, "VMXON failed");
    /* the guest's SYSCALL MSRs go over zeros the firmware keeps (run.c) */
    for (uint32_t msr = 0xC0000081; msr <= 0xC0000084; msr++) wrmsr64(msr, 0);
    wrmsr64(0xC0000102, 0);
    ept_build();
    up = 1;
    return 0;
}

/* ---- the VMCS of a VPS ---- */

static void host_state(void) {
    uint64_t cr0, cr3, cr4;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr;
    __asm__ volatile("sidt %0" : "=m"(idtr));
    vmwrite(VMCS_HOST_CR0, cr0);
    vmwrite(VMCS_HOST_CR3, cr3);
    vmwrite(VMCS_HOST_CR4, cr4);
    vmwrite(VMCS_HOST_ES_SELECTOR, 0x10);
    vmwrite(VMCS_HOST_CS_SELECTOR, 0x08);
    vmwrite(VMCS_HOST_SS_SELECTOR, 0x10);
    vmwrite(VMCS_HOST_DS_SELECTOR, 0x10);
    vmwrite(VMCS_HOST_FS_SELECTOR, 0);
    vmwrite(VMCS_HOST_GS_SELECTOR, 0);
    vmwrite(VMCS_HOST_TR_SELECTOR, 0x18);
    vmwrite(VMCS_HOST_FS_BASE, 0);
    vmwrite(VMCS_HOST_GS_BASE, 0);
    vmwrite(VMCS_HOST_TR_BASE, phys_of(host_tss));
    vmwrite(VMCS_HOST_GDTR_BASE, phys_of(host_gdt));
    vmwrite(VMCS_HOST_IDTR_BASE, idtr.base);
    vmwrite(VMCS_HOST_SYSENTER_CS, 0);
    vmwrite(VMCS_HOST_SYSENTER_ESP, 0);
    vmwrite(VMCS_HOST_SYSENTER_EIP, 0);
    vmwrite(VMCS_HOST_PAT, rdmsr64(MSR_PAT));
    vmwrite(VMCS_HOST_EFER, rdmsr64(MSR_EFER));
    vmwrite(VMCS_HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_entry);
    /* never the extension's: the processor would write the firmware's memory */
    vmwrite(VMCS_EXIT_MSR_STORE_COUNT, 0);
    vmwrite(VMCS_EXIT_MSR_LOAD_COUNT, 0);
    vmwrite(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
    vmwrite(VMCS_EPTP, ept_pointer());
}

void vmx_load(uint16_t vps) {
    if (!prepared[vps]) {
        uint8_t *region = vmcs_region[vps];
        fill64(region, 0, sizeof vmcs_region[vps]);
        *(uint32_t *)region = revision;
        vmclear(phys_of(region));
        vmptrld(phys_of(region));
        current = vps;
        host_state();
        for (unsigned i = 0; i < vmx_field_count; i++) {
            if (!vmx_fields[i].soft) vmwrite(vmx_fields[i].encoding, vmx_copy[vps][i]);
        }
        prepared[vps] = 1;
        vmx_launched[vps] = 0;
        return;
    }
    if (current != vps) {
        vmptrld(phys_of(vmcs_region[vps]));
        current = vps;
    }
}

/* the hardware has the field only once VMX is up and the VPS's VMCS was set up */
static int in_hardware(uint16_t vps, unsigned slot) {
    return up && !vmx_fields[slot].soft && prepared[vps];
}

static uint64_t get_slot(uint16_t vps, unsigned slot) {
    if (!in_hardware(vps, slot)) return vmx_copy[vps][slot];
    vmx_load(vps);
    return vmread(vmx_fields[slot].encoding);
}

static void set_slot(uint16_t vps, unsigned slot, uint64_t value) {
    unsigned bytes = field_bytes(vmx_fields[slot].encoding);
    if (bytes < 8) value &= (1ull << (bytes * 8)) - 1;
    if (up && !vmx_fields[slot].soft) {
        vmx_load(vps); /* sets the VMCS up from the copy first, if this is its first use */
        vmwrite(vmx_fields[slot].encoding, value);
    } else {
        vmx_copy[vps][slot] = value;
    }
}

uint64_t vmx_get(uint16_t vps, uint16_t encoding) {
    return get_slot(vps, (unsigned)vmx_slot(encoding));
}

void vmx_set(uint16_t vps, uint16_t encoding, uint64_t value) {
    set_slot(vps, (unsigned)vmx_slot(encoding), value);
}

/* as the sim's initVps: the MSR bitmap on, pointing at a zero page */
static void vmx_vps_reset(uint16_t vps) {
    if (up && prepared[vps]) {
        vmclear(phys_of(vmcs_region[vps])); /* no longer current, its state flushed */
        if (current == vps) current = -1;
    }
    prepared[vps] = 0;
    vmx_launched[vps] = 0;
    fill64(vmx_copy[vps], 0, sizeof vmx_copy[vps]);
    vmx_saved[vps] = (struct vmx_saved){0};
    vmx_copy[vps][vmx_slot(VMCS_PROC_CONTROLS)] = PROC_USE_MSR_BITMAPS;
    vmx_copy[vps][vmx_slot(VMCS_MSR_BITMAP)] = VMX_ZERO_PAGE_PHYS;
}

static int vmx_vps_read(uint16_t vps, uint64_t index, unsigned bytes, uint64_t *value) {
    int slot = vmx_slot(index);
    if (slot < 0 || field_bytes(index) != bytes) return -1;
    *value = get_slot(vps, (unsigned)slot);
    return 0;
}

static int vmx_vps_write(uint16_t vps, uint64_t index, unsigned bytes, uint64_t value) {
    int slot = vmx_slot(index);
    if (slot < 0 || field_bytes(index) != bytes || field_read_only(index)) return -1;
    set_slot(vps, (unsigned)slot, value);
    return 0;
}

/* ---- registers ---- */

/* a bf_reg_t's VMCS field, or 0 for one kept beside the VMCS */
static const uint16_t places[bf_reg_t_count] = {
    [bf_reg_t_rip] = 0x681E, [bf_reg_t_rsp] = 0x681C, [bf_reg_t_rflags] = 0x6820,
    [bf_reg_t_gdtr_base_addr] = 0x6816, [bf_reg_t_gdtr_limit] = 0x4810,
    [bf_reg_t_idtr_base_addr] = 0x6818, [bf_reg_t_idtr_limit] = 0x4812,
#define SEG(name, i) [bf_reg_t_##name##_selector] = 0x0800 + 2 * (i), [bf_reg_t_##name##_base_addr] = 0x6806 + 2 * (i), \
    [bf_reg_t_##name##_limit] = 0x4800 + 2 * (i), [bf_reg_t_##name##_attributes] = 0x4814 + 2 * (i)
    SEG(es, 0), SEG(cs, 1), SEG(ss, 2), SEG(ds, 3), SEG(fs, 4), SEG(gs, 5), SEG(ldtr, 6), SEG(tr, 7),
#undef SEG
    [bf_reg_t_cr0] = 0x6800, [bf_reg_t_cr3] = 0x6802, [bf_reg_t_cr4] = 0x6804, [bf_reg_t_dr7] = 0x681A,
    [bf_reg_t_ia32_efer] = 0x2806, [bf_reg_t_ia32_pat] = 0x2804, [bf_reg_t_ia32_debugctl] = 0x2802,
    [bf_reg_t_ia32_fs_base] = 0x6806 + 2 * 4, [bf_reg_t_ia32_gs_base] = 0x6806 + 2 * 5,
    [bf_reg_t_ia32_sysenter_cs] = 0x482A, [bf_reg_t_ia32_sysenter_esp] = 0x6824, [bf_reg_t_ia32_sysenter_eip] = 0x6826,
};

_Static_assert(bf_reg_t_rax == 0 && bf_reg_t_r15 == 14, "rax..r15 are the first bf_reg_t, the saved GPRs' order");

static uint64_t *saved_slot(uint16_t vps, unsigned reg) {
    struct vmx_saved *s = &vmx_saved[vps];
    if (reg <= bf_reg_t_r15) return &s->gpr[reg];
    switch (reg) {
    case bf_reg_t_cr2: return &s->cr2;
    case bf_reg_t_dr6: return &s->dr6;
    case bf_reg_t_ia32_star: return &s->star;
    case bf_reg_t_ia32_lstar: return &s->lstar;
    case bf_reg_t_ia32_cstar: return &s->cstar;
    case bf_reg_t_ia32_fmask: return &s->fmask;
    case bf_reg_t_ia32_kernel_gs_base: return &s->kernel_gs_base;
    default: return 0;
    }
}

static uint64_t vmx_reg_read(uint16_t vps, unsigned reg) {
    uint64_t *s = saved_slot(vps, reg);
    return s ? *s : vmx_get(vps, places[reg]);
}

static void vmx_reg_write(uint16_t vps, unsigned reg, uint64_t value) {
    uint64_t *s = saved_slot(vps, reg);
    if (s) *s = value;
    else vmx_set(vps, places[reg], value);
}

/* ---- the rest of the backend ---- */

static void vmx_dump(uint16_t vps, void (*line)(const char *name, uint64_t value)) {
    line("primary proc controls (0x4002)", vmx_get(vps, VMCS_PROC_CONTROLS));
    line("exit reason (0x4402)", vmx_get(vps, VMCS_EXIT_REASON));
    line("exit qualification (0x6400)", vmx_get(vps, VMCS_EXIT_QUALIFICATION));
    line("exit instruction length (0x440c)", vmx_get(vps, VMCS_EXIT_INSTRUCTION_LENGTH));
}

static uint32_t vmx_state_crc(uint32_t crc) {
    for (uint16_t vps = 0; vps < CONFIG_VPSS; vps++) {
        for (unsigned i = 0; i < vmx_field_count; i++) {
            uint64_t v = get_slot(vps, i);
            crc = crc32_update(crc, &v, sizeof v);
        }
    }
    return crc32_update(crc, vmx_saved, (size_t)CONFIG_VPSS * sizeof(struct vmx_saved));
}

/* as the sim's initRoot: a VMCS with no shadow VMCS has its link pointer all ones */
static void vmx_root_fields(uint16_t vps) {
    vmx_set(vps, VMCS_LINK_POINTER, ~0ull);
}

/* CPUID always exits under VMX: the bench's VPS needs only its MSR bitmap as the sim's */
static void vmx_intercept_cpuid(uint16_t vps) {
    (void)vps;
}

const struct arch_ops vmx_ops = {
    .id = BFX_WIRE_ARCH_INTEL,
    .init = vmx_init,
    .vps_reset = vmx_vps_reset,
    .vps_read = vmx_vps_read,
    .vps_write = vmx_vps_write,
    .reg_read = vmx_reg_read,
    .reg_write = vmx_reg_write,
    .run = vmx_run,
    .dump = vmx_dump,
    .state_crc = vmx_state_crc,
    .selftest = vmx_selftest,
    .root_fields = vmx_root_fields,
    .intercept_cpuid = vmx_intercept_cpuid,
    .exit_cpuid = BF_VMX_EXIT_CPUID,
};
