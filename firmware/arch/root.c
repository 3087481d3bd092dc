/* The root guest: its scenario (the image's guest=NAME[:ARG]), its memory
 * as init_as_root leaves it, and the state the sim's rootState(arch, ppid,
 * entry) gives (host/backend/sim/arch/root.ts): a 64-bit kernel as it was
 * when the hypervisor started on its processor. The same for both
 * architectures but for how segment attributes pack and EFER.SVME. */
#include "../guest/layout.h"
#include "backend.h"
#include "bf.h"
#include "bfx_wire.h"

_Static_assert(CONFIG_PPS <= GUEST_BENCH_SLOT, "a guest slot per processor, and the bench's own");

/* the guest, built from guest/ and embedded by guest_image.S */
extern const uint8_t guest_image_start[], guest_image_end[];

static const struct {
    const char *name;
    uint32_t id;
} scenarios[] = {
    {"cpuid", SCENARIO_CPUID}, {"msr", SCENARIO_MSR}, {"io", SCENARIO_IO}, {"vmcall", SCENARIO_VMCALL},
    {"tour", SCENARIO_TOUR}, {"cpuid-loop", SCENARIO_CPUID_LOOP}, {"idle", SCENARIO_IDLE}, {"runaway", SCENARIO_RUNAWAY},
};

#define CPUID_LOOP_DEFAULT 100000
#define SAFE_INTEGER_MAX 0x1FFFFFFFFFFFFFull /* what the sim's Number.isSafeInteger allows */

/* the sim's default guest */
static uint32_t chosen = SCENARIO_CPUID;
static uint64_t chosen_arg;

struct text {
    char *at;
    size_t n, used;
};

static void add(struct text *t, const char *s, size_t len) {
    for (size_t i = 0; i < len && s[i] && t->used + 1 < t->n; i++) t->at[t->used++] = s[i];
    if (t->n) t->at[t->used] = 0;
}

static size_t length(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

/* N of cpuid-loop:N, as the sim takes it: a positive safe integer */
static int count(const char *s, uint64_t *n) {
    *n = 0;
    if (!*s) return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return 0;
        *n = *n * 10 + (uint64_t)(*s - '0');
        if (*n > SAFE_INTEGER_MAX) return 0;
    }
    return *n >= 1;
}

int arch_guest_select(const char *spec, char *why, size_t n) {
    struct text t = {why, n, 0};
    size_t name = 0;
    while (spec[name] && spec[name] != ':') name++;
    const char *arg = spec[name] == ':' && spec[name + 1] ? spec + name + 1 : 0;
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        if (length(scenarios[i].name) != name) continue;
        size_t k = 0;
        while (k < name && scenarios[i].name[k] == spec[k]) k++;
        if (k != name) continue;
        uint64_t value = 0;
        if (scenarios[i].id == SCENARIO_CPUID_LOOP) {
            if (!arg) value = CPUID_LOOP_DEFAULT;
            else if (!count(arg, &value)) {
                add(&t, "guest cpuid-loop: N must be a positive integer, not \"", ~(size_t)0);
                add(&t, arg, ~(size_t)0);
                add(&t, "\"", 1);
                return -1;
            }
        }
        chosen = scenarios[i].id;
        chosen_arg = value;
        return 0;
    }
    add(&t, "unknown guest \"", ~(size_t)0);
    add(&t, spec, name);
    add(&t, "\"; the guests are: ", ~(size_t)0);
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        if (i) add(&t, ", ", 2);
        add(&t, scenarios[i].name, ~(size_t)0);
    }
    return -1;
}

static void zero(uint64_t gpa, uint64_t bytes) {
    uint64_t *p = guest_phys(gpa, bytes);
    for (uint64_t i = 0; i < bytes / 8; i++) p[i] = 0;
}

static uint64_t *at64(uint64_t gpa) {
    return guest_phys(gpa, 8);
}

/* the guest's memory: code, paging, descriptor tables, its slot's scenario */
static void load_memory(unsigned slot, uint64_t ppid, uint32_t scenario, uint64_t arg) {
    size_t size = (size_t)(guest_image_end - guest_image_start);
    uint8_t *code = guest_phys(GUEST_CODE, GUEST_CODE_MAX);
    for (size_t i = 0; i < size; i++) code[i] = guest_image_start[i];

    zero(GUEST_PML4, 0x3000);
    *at64(GUEST_PML4) = GUEST_PDPT | 0x3;                    /* present, writable */
    *at64(GUEST_PDPT) = GUEST_PD | 0x3;
    for (uint64_t i = 0; i < GUEST_MEMORY / 0x200000; i++) {
        *at64(GUEST_PD + i * 8) = (i * 0x200000) | 0x83;    /* present, writable, 2 MiB */
    }

    zero(GUEST_GDT, 0x1000);
    *at64(GUEST_GDT + 0x08) = 0x00AF9B000000FFFFull;         /* 64-bit code, ring 0 */
    *at64(GUEST_GDT + 0x10) = 0x00CF93000000FFFFull;         /* data */
    uint64_t tss = GUEST_TSS + slot * GUEST_TSS_STRIDE;      /* 64-bit TSS, busy, limit 0x67 */
    *at64(GUEST_GDT + 0x18) = 0x67 | ((tss & 0xFFFFFF) << 16) | (0x8Bull << 40) | (((tss >> 24) & 0xFF) << 56);
    *at64(GUEST_GDT + 0x20) = tss >> 32;
    zero(GUEST_IDT, 0x1000);                                 /* nothing present: any exception triple-faults */
    zero(tss, GUEST_TSS_STRIDE);

    struct guest_scenario *s = guest_phys(GUEST_SCENARIOS + slot * sizeof *s, sizeof *s);
    *s = (struct guest_scenario){GUEST_SCENARIO_MAGIC, scenario, arg, ppid, arch_id() != BFX_WIRE_ARCH_AMD};
}

/* access: the descriptor's access byte; flags: its G, D/B, L and AVL bits.
 * AMD packs the flags in bits 11:8 above the access byte, Intel keeps them
 * at 15:12; a null segment is 0 on AMD and unusable (bit 16) on Intel. */
static uint64_t attributes(uint8_t access, uint8_t flags) {
    int amd = arch_id() == BFX_WIRE_ARCH_AMD;
    if (access == 0) return amd ? 0 : 0x10000;
    return amd ? ((unsigned)flags << 8) | access : ((unsigned)flags << 12) | access;
}

static void segment(uint16_t vps, unsigned first, uint16_t selector, uint8_t access, uint8_t flags, uint32_t limit, uint64_t base) {
    /* bf_reg_t lists each segment as selector, base, limit, attributes */
    arch_reg_write(vps, first, selector);
    arch_reg_write(vps, first + 1, base);
    arch_reg_write(vps, first + 2, limit);
    arch_reg_write(vps, first + 3, attributes(access, flags));
}

#define CODE 0x9B /* present, ring 0, code, readable, accessed */
#define DATA 0x93 /* present, ring 0, data, writable, accessed */
#define TSS 0x8B  /* present, 64-bit TSS, busy */
#define EFER_SVME (1ull << 12)

void root_load(uint16_t vps, unsigned slot, uint64_t ppid, uint32_t scenario, uint64_t arg) {
    load_memory(slot, ppid, scenario, arg);
    arch_reg_write(vps, bf_reg_t_rip, GUEST_CODE);
    arch_reg_write(vps, bf_reg_t_rsp, GUEST_STACK_TOP + (uint64_t)slot * GUEST_STACK_STRIDE);
    arch_reg_write(vps, bf_reg_t_rflags, 0x2);
    arch_reg_write(vps, bf_reg_t_cr0, 0x80050033);
    arch_reg_write(vps, bf_reg_t_cr3, GUEST_PML4);
    arch_reg_write(vps, bf_reg_t_cr4, 0x6F8);
    arch_reg_write(vps, bf_reg_t_dr6, 0xFFFF0FF0);
    arch_reg_write(vps, bf_reg_t_dr7, 0x400);
    arch_reg_write(vps, bf_reg_t_ia32_efer, 0xD01 | (arch_id() == BFX_WIRE_ARCH_AMD ? EFER_SVME : 0));
    arch_reg_write(vps, bf_reg_t_ia32_pat, 0x0007040600070406ull);
    arch_reg_write(vps, bf_reg_t_gdtr_base_addr, GUEST_GDT);
    arch_reg_write(vps, bf_reg_t_gdtr_limit, 0x1F);
    arch_reg_write(vps, bf_reg_t_idtr_base_addr, GUEST_IDT);
    arch_reg_write(vps, bf_reg_t_idtr_limit, 0xFFF);
    segment(vps, bf_reg_t_cs_selector, 0x08, CODE, 0xA, 0xFFFFFFFF, 0);
    segment(vps, bf_reg_t_ss_selector, 0x10, DATA, 0xC, 0xFFFFFFFF, 0);
    segment(vps, bf_reg_t_ds_selector, 0x10, DATA, 0xC, 0xFFFFFFFF, 0);
    segment(vps, bf_reg_t_es_selector, 0x10, DATA, 0xC, 0xFFFFFFFF, 0);
    segment(vps, bf_reg_t_fs_selector, 0, 0, 0, 0, 0);
    segment(vps, bf_reg_t_gs_selector, 0, 0, 0, 0, 0);
    segment(vps, bf_reg_t_ldtr_selector, 0, 0, 0, 0, 0);
    segment(vps, bf_reg_t_tr_selector, 0x18, TSS, 0, 0x67, GUEST_TSS + (uint64_t)slot * GUEST_TSS_STRIDE);
    exit_notes[vps].string = 0; /* as the sim forgets a print in flight */
    if (arch_backend()->root_fields) arch_backend()->root_fields(vps);
}

void arch_init_root(uint16_t vps, uint16_t ppid) {
    root_load(vps, ppid, ppid, chosen, chosen_arg);
}
