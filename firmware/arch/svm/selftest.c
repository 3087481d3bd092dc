/* archtest: the SVM half end to end, without the kernel half. Runs the
 * root guest's scenarios in pool VPSs, handling their exits here as an
 * extension would, and prints a PASS/FAIL line per check as kvm-unit-tests
 * do. What the guest prints under an I/O intercept comes back one byte per
 * exit (in al, as in the sim), so the checks can read its lines. */
#include "../../guest/layout.h"

#include "bf.h"
#include "check.h"
#include "serial.h"
#include "svm.h"

static int same(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

static int starts(const char *s, const char *prefix) {
    while (*prefix && *s == *prefix) s++, prefix++;
    return *prefix == 0;
}

/* ---- a guest run, its exits handled here ---- */

#define MAX_EXITS 20000
#define TEXT_MAX 1024

struct trip {
    char text[TEXT_MAX]; /* what the guest wrote to COM1 under the I/O intercept */
    unsigned n;
    unsigned exits, cpuid, io, msr, vmmcall;
    uint32_t leaves[8];
    uint64_t io_info1[4], io_info2[4], io_rip[4]; /* the first non-console I/O exits */
    uint64_t msr_info1[4], msr_ecx[4], msr_rip[4], msr_rip_after[4];
    uint64_t vmmcall_rax;
    uint64_t console_info1, console_rip; /* the first console byte's exit */
    uint64_t console_after[16];          /* rip after advance_ip, for each byte of "hello from pp 0\n" */
    uint64_t console_next;               /* the rip of the next line's first byte */
    struct arch_event last;
};

static const uint32_t signature[3] = {0x48786642, 0x72657079, 0x6D736157}; /* "BfxHyperWasm" */

static void answer_cpuid(uint16_t vps, struct trip *t) {
    uint32_t leaf = (uint32_t)arch_reg_read(vps, bf_reg_t_rax), r[4];
    if (t->cpuid < 8) t->leaves[t->cpuid] = leaf;
    t->cpuid++;
    if (leaf == 0x40000000) {
        r[0] = 0x40000000;
        r[1] = signature[0];
        r[2] = signature[1];
        r[3] = signature[2];
    } else {
        arch_cpuid(leaf, (uint32_t)arch_reg_read(vps, bf_reg_t_rcx), r);
        if (leaf == 1) r[2] |= 1u << 31;
    }
    arch_reg_write(vps, bf_reg_t_rax, r[0]);
    arch_reg_write(vps, bf_reg_t_rbx, r[1]);
    arch_reg_write(vps, bf_reg_t_rcx, r[2]);
    arch_reg_write(vps, bf_reg_t_rdx, r[3]);
}

static void trip_run(uint16_t vps, struct trip *t) {
    *t = (struct trip){0};
    for (;;) {
        arch_run(vps, 0, &t->last);
        if (t->last.kind != ARCH_EXIT || ++t->exits >= MAX_EXITS) break;
        uint64_t rip = arch_reg_read(vps, bf_reg_t_rip);
        switch (t->last.reason) {
        case BF_SVM_EXIT_CPUID:
            answer_cpuid(vps, t);
            break;
        case BF_SVM_EXIT_IO:
            if ((t->last.info1 >> 16) == 0x3F8 && (t->last.info1 & IOIO_STR)) {
                if (t->n == 0) {
                    t->console_info1 = t->last.info1;
                    t->console_rip = rip;
                }
                if (t->n == 16) t->console_next = rip;
                if (t->n + 1 < TEXT_MAX) t->text[t->n++] = (char)arch_reg_read(vps, bf_reg_t_rax);
            } else {
                if (t->io < 4) {
                    t->io_info1[t->io] = t->last.info1;
                    t->io_info2[t->io] = t->last.info2;
                    t->io_rip[t->io] = rip;
                }
                t->io++;
            }
            break;
        case BF_SVM_EXIT_RDMSR:
            if (t->msr < 4) {
                t->msr_info1[t->msr] = t->last.info1;
                t->msr_ecx[t->msr] = (uint32_t)arch_reg_read(vps, bf_reg_t_rcx);
                t->msr_rip[t->msr] = rip;
            }
            t->msr++;
            break;
        case BF_SVM_EXIT_VMCALL:
            t->vmmcall++;
            t->vmmcall_rax = arch_reg_read(vps, bf_reg_t_rax);
            arch_reg_write(vps, bf_reg_t_rax, 0x42);
            break;
        default:
            return; /* for the check to look at */
        }
        arch_advance_ip(vps);
        if (t->last.reason == BF_SVM_EXIT_IO && (t->last.info1 & IOIO_STR) && t->n <= 16) t->console_after[t->n - 1] = arch_reg_read(vps, bf_reg_t_rip);
        if (t->last.reason == BF_SVM_EXIT_RDMSR && t->msr <= 4) t->msr_rip_after[t->msr - 1] = arch_reg_read(vps, bf_reg_t_rip);
        if (t->last.reason == BF_SVM_EXIT_IO && !(t->last.info1 & IOIO_STR) && t->io <= 4) t->io_rip[t->io - 1] = arch_reg_read(vps, bf_reg_t_rip) - t->io_rip[t->io - 1];
    }
    t->text[t->n] = 0;
}

/* the line of t's text that starts with prefix, or 0 */
static const char *line_of(const struct trip *t, const char *prefix) {
    const char *s = t->text;
    while (*s) {
        if (starts(s, prefix)) return s;
        while (*s && *s != '\n') s++;
        if (*s) s++;
    }
    return 0;
}

static int has_line(const struct trip *t, const char *line) {
    const char *s = line_of(t, line);
    if (!s) return 0;
    while (*line && *s == *line) s++, line++;
    return *line == 0 && *s == '\n';
}

/* a VPS with the root guest of pp 0 in a scenario, and the intercepts */
static void guest(uint16_t vps, uint32_t scenario, uint64_t arg, uint32_t misc1, uint32_t misc2) {
    arch_vps_reset(vps);
    root_load(vps, 0, 0, scenario, arg);
    *vmcb32(vps, VMCB_INTERCEPT_MISC1) = misc1;
    *vmcb32(vps, VMCB_INTERCEPT_MISC2) = misc2;
    *vmcb32(vps, VMCB_GUEST_ASID) = 1;
}

/* ---- the checks ---- */

static void fields(void) {
    const uint16_t v = 1;
    uint64_t x = 0;
    arch_vps_reset(v);
    int zero = 1;
    for (unsigned off = 0; off < VMCB_SIZE; off += 8) {
        arch_vps_read(v, off, 8, &x);
        zero &= x == 0;
    }
    check(zero, "a VPS as create_vps leaves it: the VMCB all zero");
    check(arch_vps_write(v, 0x058, 8, 0x1122334455667788ull) == 0 && arch_vps_read(v, 0x058, 1, &x) == 0 && x == 0x88 &&
          arch_vps_read(v, 0x058, 2, &x) == 0 && x == 0x7788 && arch_vps_read(v, 0x058, 4, &x) == 0 && x == 0x55667788 &&
          arch_vps_read(v, 0x05C, 4, &x) == 0 && x == 0x11223344,
          "read8..64 and write8..64 address the VMCB by byte offset, little-endian");
    check(arch_vps_write(v, 0x058, 1, 0xABCD) == 0 && arch_vps_read(v, 0x058, 8, &x) == 0 && x == 0x11223344556677CDull,
          "a write of one width changes only its bytes");
    check(arch_vps_read(v, 4088, 8, &x) == 0 && arch_vps_read(v, 4095, 1, &x) == 0 && arch_vps_write(v, 4094, 2, 1) == 0,
          "the last field of each width is in range");
    check(arch_vps_read(v, 4096, 1, &x) != 0 && arch_vps_read(v, 4096, 8, &x) != 0 && arch_vps_write(v, 4100, 4, 0) != 0 &&
          arch_vps_read(v, ~0ull, 1, &x) != 0 && arch_vps_read(v, ~0ull - 7, 8, &x) != 0,
          "an index past the VMCB is refused");
    check(arch_vps_read(v, 2, 4, &x) != 0 && arch_vps_read(v, 4, 8, &x) != 0 && arch_vps_write(v, 1, 2, 0) != 0,
          "a misaligned index is refused");

    arch_vps_reset(v);
    arch_reg_write(v, bf_reg_t_rax, 0xA1);
    arch_reg_write(v, bf_reg_t_rbx, 0xB1);
    arch_reg_write(v, bf_reg_t_r15, 0xF15);
    arch_reg_write(v, bf_reg_t_rip, 0x1234);
    arch_reg_write(v, bf_reg_t_cs_attributes, 0x12A9B);
    arch_reg_write(v, bf_reg_t_gdtr_limit, 0x1FFFFFFFFull);
    arch_reg_write(v, bf_reg_t_ia32_pat, 0x0007040600070406ull);
    check(*vmcb64(v, 0x5F8) == 0xA1 && *vmcb64(v, 0x578) == 0x1234 && *(uint16_t *)(vmcb(v) + 0x412) == 0x2A9B &&
          *vmcb32(v, 0x464) == 0xFFFFFFFF && *vmcb64(v, 0x668) == 0x0007040600070406ull,
          "rax, rip, segments, descriptor tables, MSRs: in the VMCB where amd.ts places them, at their widths");
    check(svm_saved[v].gpr[0] == 0xB1 && svm_saved[v].gpr[13] == 0xF15 && arch_reg_read(v, bf_reg_t_rbx) == 0xB1 &&
          arch_reg_read(v, bf_reg_t_cs_attributes) == 0x2A9B,
          "rbx..r15 in the saved area; read_reg gives back what write_reg wrote, at the field's width");
}

static void root_state(void) {
    const uint16_t v = 2;
    static const struct { unsigned reg; uint64_t value; } want[] = {
        {bf_reg_t_rip, 0x100000}, {bf_reg_t_rsp, 0x80000}, {bf_reg_t_rflags, 0x2}, {bf_reg_t_cr0, 0x80050033},
        {bf_reg_t_cr3, 0x1000}, {bf_reg_t_cr4, 0x6F8}, {bf_reg_t_dr6, 0xFFFF0FF0}, {bf_reg_t_dr7, 0x400},
        {bf_reg_t_ia32_efer, 0x1D01}, {bf_reg_t_ia32_pat, 0x0007040600070406ull},
        {bf_reg_t_gdtr_base_addr, 0x5000}, {bf_reg_t_gdtr_limit, 0x1F}, {bf_reg_t_idtr_base_addr, 0x6000},
        {bf_reg_t_idtr_limit, 0xFFF},
        {bf_reg_t_cs_selector, 0x08}, {bf_reg_t_cs_attributes, 0xA9B}, {bf_reg_t_cs_limit, 0xFFFFFFFF}, {bf_reg_t_cs_base_addr, 0},
        {bf_reg_t_ss_selector, 0x10}, {bf_reg_t_ss_attributes, 0xC93}, {bf_reg_t_ds_attributes, 0xC93}, {bf_reg_t_es_limit, 0xFFFFFFFF},
        {bf_reg_t_fs_selector, 0}, {bf_reg_t_fs_attributes, 0}, {bf_reg_t_gs_limit, 0}, {bf_reg_t_ldtr_attributes, 0},
        {bf_reg_t_tr_selector, 0x18}, {bf_reg_t_tr_attributes, 0x8B}, {bf_reg_t_tr_limit, 0x67}, {bf_reg_t_tr_base_addr, 0x7000},
        {bf_reg_t_rax, 0}, {bf_reg_t_rbx, 0}, {bf_reg_t_rsi, 0},
    };
    arch_vps_reset(v);
    arch_init_root(v, 0);
    int ok = 1;
    for (unsigned i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (arch_reg_read(v, want[i].reg) == want[i].value) continue;
        ok = 0;
        serial_puts("  bf_reg_t ");
        serial_dec(want[i].reg);
        serial_puts(" is ");
        serial_hex(arch_reg_read(v, want[i].reg));
        serial_putc('\n');
    }
    check(ok, "init_as_root: the sim's rootState('amd', 0, 0x100000), register for register");
    uint64_t x;
    check(arch_vps_read(v, VMCB_INTERCEPT_MISC1, 4, &x) == 0 && x == 0 && arch_vps_read(v, VMCB_GUEST_ASID, 4, &x) == 0 && x == 0,
          "init_as_root leaves the control area to the extension");
    const uint8_t *code = guest_phys(GUEST_CODE, 1);
    const struct guest_scenario *s = guest_phys(GUEST_SCENARIOS, sizeof *s);
    check(code && code[0] == 0x48 && s->magic == GUEST_SCENARIO_MAGIC && s->id == SCENARIO_CPUID,
          "init_as_root loads the guest's code at 0x100000 and its scenario (cpuid by default)");
    arch_init_root(v, 1);
    check(arch_reg_read(v, bf_reg_t_rsp) == 0x81000 && arch_reg_read(v, bf_reg_t_tr_base_addr) == 0x7100,
          "the root guest of pp 1: its own stack (0x81000) and TSS (0x7100)");
}

static void selection(void) {
    char why[160];
    check(arch_guest_select("cpuid-loop:0", why, sizeof why) != 0 &&
          same(why, "guest cpuid-loop: N must be a positive integer, not \"0\""),
          "guest=cpuid-loop:0 is refused as the sim refuses it");
    check(arch_guest_select("cpuid-loop:12x", why, sizeof why) != 0, "guest=cpuid-loop:12x is refused");
    check(arch_guest_select("nope:1", why, sizeof why) != 0 &&
          same(why, "unknown guest \"nope\"; the guests are: cpuid, msr, io, vmcall, tour, cpuid-loop, idle, runaway"),
          "an unknown guest is refused, naming the guests");
    check(arch_guest_select("cpuid-loop:5", why, sizeof why) == 0 && arch_guest_select("tour", why, sizeof why) == 0 &&
          arch_guest_select("cpuid", why, sizeof why) == 0,
          "guest=cpuid-loop:5, tour, cpuid are taken");
}

static void decoder(void) {
    static const struct { uint8_t bytes[8]; unsigned n, length; } cases[] = {
        {{0x0F, 0xA2}, 2, 2},             /* cpuid */
        {{0x0F, 0x32}, 2, 2},             /* rdmsr */
        {{0x0F, 0x30}, 2, 2},             /* wrmsr */
        {{0xF4}, 1, 1},                   /* hlt */
        {{0x0F, 0x01, 0xD9}, 3, 3},       /* vmmcall */
        {{0xE6, 0x80}, 2, 2},             /* out 0x80, al */
        {{0xE4, 0x61}, 2, 2},             /* in al, 0x61 */
        {{0x66, 0xE7, 0x80}, 3, 3},       /* out 0x80, ax */
        {{0xEE}, 1, 1},                   /* out dx, al */
        {{0x66, 0xEF}, 2, 2},             /* out dx, ax */
        {{0xEC}, 1, 1},                   /* in al, dx */
        {{0xF3, 0x6E}, 2, 2},             /* rep outsb */
        {{0xF3, 0x48, 0x6D}, 3, 3},       /* rep insd with REX.W */
        {{0x2E, 0x0F, 0xA2}, 3, 3},       /* a segment prefix */
        {{0x0F, 0x01, 0x38}, 3, 3},       /* invlpg [rax] */
        {{0x0F, 0x01, 0x7C, 0x24, 0x08}, 5, 5},   /* invlpg [rsp+8] */
        {{0x0F, 0x01, 0xBD, 1, 2, 3, 4}, 7, 7},   /* invlpg [rbp+disp32] */
        {{0x0F, 0x22, 0xD8}, 3, 3},       /* mov cr3, rax */
        {{0x0F, 0x0B}, 2, 0},             /* ud2: not an instruction an intercept exits on */
        {{0x0F}, 1, 0},                   /* cut short */
    };
    int ok = 1;
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned got = insn_length(cases[i].bytes, cases[i].n);
        if (got == cases[i].length) continue;
        ok = 0;
        serial_puts("  case ");
        serial_dec(i);
        serial_puts(": length ");
        serial_dec(got);
        serial_putc('\n');
    }
    check(ok, "instruction lengths: CPUID/RDMSR/WRMSR 2, HLT 1, VMMCALL 3, IN/OUT imm8 2, through dx 1, string 1, with prefixes and ModRM");
}

static struct trip t;

static void cpuid_scenario(void) {
    const uint16_t v = 3;
    guest(v, SCENARIO_CPUID, 0, MISC1_CPUID | MISC1_IOIO_PROT, MISC2_VMRUN);
    /* the extension's own values of what the firmware forces, to see them again after */
    *vmcb64(v, VMCB_NP_ENABLE) = 0;
    *vmcb64(v, VMCB_N_CR3) = 0x1234000;
    *vmcb64(v, VMCB_IOPM_BASE_PA) = 0x5000; /* no page of the extension's: the firmware's all-ones map instead */
    *vmcb64(v, VMCB_MSRPM_BASE_PA) = 0xFFFFFFFFFFFFF000ull;
    trip_run(v, &t);
    serial_puts("  the guest wrote: ");
    for (unsigned i = 0; i < t.n; i++) serial_putc(t.text[i] == '\n' ? '|' : t.text[i]);
    serial_putc('\n');
    check(t.last.kind == ARCH_HALT && t.cpuid == 3 && t.leaves[0] == 0 && t.leaves[1] == 0x40000000 && t.leaves[2] == 1,
          "cpuid guest, CPUID intercepted: exits for leaves 0, 0x40000000, 1, then it halts (ARCH_HALT)");
    check(has_line(&t, "hello from pp 0"), "the guest printed \"hello from pp 0\"");
    check(line_of(&t, "cpuid(0) vendor=AuthenticAMD max-leaf=0x") != 0, "the guest printed \"cpuid(0) vendor=AuthenticAMD max-leaf=...\"");
    check(has_line(&t, "cpuid(0x40000000) signature=BfxHyperWasm max-leaf=0x40000000"),
          "the guest printed \"cpuid(0x40000000) signature=BfxHyperWasm max-leaf=0x40000000\": the signature the handler gave");
    check(has_line(&t, "cpuid(1) hypervisor-bit=1"), "the guest printed \"cpuid(1) hypervisor-bit=1\"");
    /* QEMU leaves the address-size bits (9:7) clear; the sim and real processors set A64 */
    check_eq(t.console_info1 & 0xFFFF007Dull, (0x3F8ull << 16) | IOIO_STR | IOIO_REP | (1u << IOIO_SIZE_SHIFT),
             "a console byte is an IOIO exit: port 0x3F8, one byte, output, string, REP in EXITINFO1");
    int held = 1;
    for (unsigned i = 0; i < 15; i++) held &= t.console_after[i] == t.console_rip;
    check(held && t.console_after[15] == t.console_rip + 2 && t.console_next > t.console_rip,
          "REP OUTSB exits once per byte at one rip; advance_ip moves rip past it (2 bytes) only after the last byte; the next line is the next print");
    check(*vmcb64(v, VMCB_NP_ENABLE) == 0 && *vmcb64(v, VMCB_N_CR3) == 0x1234000 && *vmcb64(v, VMCB_IOPM_BASE_PA) == 0x5000 &&
          *vmcb64(v, VMCB_MSRPM_BASE_PA) == 0xFFFFFFFFFFFFF000ull &&
          *vmcb32(v, VMCB_INTERCEPT_MISC1) == (MISC1_CPUID | MISC1_IOIO_PROT) && *vmcb32(v, VMCB_INTERCEPT_MISC2) == MISC2_VMRUN,
          "after a run the fields the firmware forces show the extension's values again");
}

static unsigned lines(const struct trip *t) {
    unsigned n = 0;
    for (unsigned i = 0; i < t->n; i++) n += t->text[i] == '\n';
    return n;
}

static void tour(void) {
    const uint16_t v = 3;
    guest(v, SCENARIO_TOUR, 0, MISC1_CPUID | MISC1_IOIO_PROT, MISC2_VMRUN);
    trip_run(v, &t);
    check(t.last.kind == ARCH_HALT && lines(&t) == 8 && t.cpuid == 3 && t.io == 2 && has_line(&t, "out 0x80 <- 0x42") &&
          line_of(&t, "wrmsr(IA32_TSC_AUX, 0x1234) then rdmsr=") != 0,
          "tour guest: cpuid, msr and io in turn, eight lines, then it halts");
}

static void halts(void) {
    const uint16_t v = 4;
    guest(v, SCENARIO_IDLE, 0, MISC1_HLT, MISC2_VMRUN);
    struct arch_event e;
    arch_run(v, 0, &e);
    uint64_t rip = arch_reg_read(v, bf_reg_t_rip);
    const uint8_t *at = guest_phys(rip, 1);
    check(e.kind == ARCH_EXIT && e.reason == BF_SVM_EXIT_HLT && *vmcb64(v, VMCB_EXITCODE) == BF_SVM_EXIT_HLT && at && *at == 0xF4,
          "HLT intercepted by the extension: an exit 0x78 at the HLT");
    arch_advance_ip(v);
    check_eq(arch_reg_read(v, bf_reg_t_rip), rip + 1, "advance_ip moves past a HLT by 1");

    guest(v, SCENARIO_IDLE, 0, 0, MISC2_VMRUN);
    *vmcb64(v, VMCB_EXITCODE) = 0x72;
    arch_run(v, 0, &e);
    rip = arch_reg_read(v, bf_reg_t_rip);
    at = guest_phys(rip - 1, 1);
    check(e.kind == ARCH_HALT && at && *at == 0xF4 && *vmcb64(v, VMCB_EXITCODE) == 0x72,
          "HLT not intercepted: ARCH_HALT, rip past the HLT, no exit recorded");
}

static void msrs(void) {
    const uint16_t v = 5;
    guest(v, SCENARIO_MSR, 0, MISC1_MSR_PROT | MISC1_IOIO_PROT, MISC2_VMRUN);
    trip_run(v, &t);
    check(t.last.kind == ARCH_HALT && t.msr == 3 && t.msr_ecx[0] == 0x277 && t.msr_info1[0] == 0 &&
          t.msr_ecx[1] == 0xC0000103 && t.msr_info1[1] == 1 && t.msr_ecx[2] == 0xC0000103 && t.msr_info1[2] == 0,
          "msr guest, MSRs intercepted (all-ones map): RDMSR IA32_PAT, WRMSR then RDMSR IA32_TSC_AUX exit 0x7C, EXITINFO1 0/1/0");
    check(t.msr_rip_after[0] == t.msr_rip[0] + 2 && t.msr_rip_after[1] == t.msr_rip[1] + 2,
          "advance_ip moves past RDMSR and WRMSR by 2");

    guest(v, SCENARIO_MSR, 0, MISC1_IOIO_PROT, MISC2_VMRUN);
    trip_run(v, &t);
    check(has_line(&t, "rdmsr(IA32_PAT)=0x7040600070406") && has_line(&t, "wrmsr(IA32_TSC_AUX, 0x1234) then rdmsr=0x1234"),
          "msr guest, MSRs not intercepted: it reads its PAT (0x7040600070406) and writes and reads back TSC_AUX");
}

static void ports(void) {
    const uint16_t v = 6;
    guest(v, SCENARIO_IO, 0, MISC1_IOIO_PROT, MISC2_VMRUN);
    trip_run(v, &t);
    check(t.last.kind == ARCH_HALT && t.io == 2 && (t.io_info1[0] >> 16) == 0x80 && !(t.io_info1[0] & (IOIO_IN | IOIO_STR)) &&
          (t.io_info1[1] >> 16) == 0x61 && (t.io_info1[1] & IOIO_IN),
          "io guest, ports intercepted: OUT 0x80 and IN 0x61 exit 0x7B with port and direction in EXITINFO1");
    check(t.io_rip[0] == 2 && t.io_rip[1] == 2, "advance_ip moves past IN/OUT imm8 by 2 (EXITINFO2, the next rip)");
    /* the intercepted IN was skipped: al keeps the last byte the console exits gave it, as in the sim */
    check(has_line(&t, "out 0x80 <- 0x42") && has_line(&t, "in 0x61 -> 0xa"), "the guest printed \"out 0x80 <- 0x42\" and \"in 0x61 -> 0xa\"");
}

static void hypercalls(void) {
    const uint16_t v = 7;
    guest(v, SCENARIO_VMCALL, 0, MISC1_IOIO_PROT, MISC2_VMRUN | MISC2_VMMCALL);
    trip_run(v, &t);
    check(t.vmmcall == 1 && t.vmmcall_rax == 0xBF01 && has_line(&t, "vmcall(0xbf01) returned rax=0x42") && t.last.kind == ARCH_HALT,
          "vmcall guest, VMMCALL intercepted: exit 0x81 with rax 0xbf01; the handler's rax 0x42 is what the guest sees");

    guest(v, SCENARIO_VMCALL, 0, MISC1_IOIO_PROT, MISC2_VMRUN);
    trip_run(v, &t);
    check(t.last.kind == ARCH_SHUTDOWN && t.last.why && same(t.last.why, "the guest made a hypercall nobody intercepts: #UD with no IDT"),
          "vmcall guest, VMMCALL not intercepted: #UD with no IDT, ARCH_SHUTDOWN, saying why");

    guest(v, SCENARIO_RUNAWAY, 0, MISC1_IOIO_PROT, MISC2_VMRUN);
    trip_run(v, &t);
    check(t.last.kind == ARCH_SHUTDOWN && has_line(&t, "about to run off the end") && t.last.why &&
          starts(t.last.why, "the guest ran out of its code at rip 0x"),
          "runaway guest: prints, runs off its code, ARCH_SHUTDOWN");
    if (t.last.why) {
        serial_puts("  why: ");
        serial_puts(t.last.why);
        serial_putc('\n');
    }

    guest(v, SCENARIO_RUNAWAY, 0, MISC1_SHUTDOWN, MISC2_VMRUN);
    struct arch_event e;
    arch_run(v, 0, &e);
    check(e.kind == ARCH_EXIT && e.reason == BF_SVM_EXIT_SHUTDOWN, "shutdown intercepted by the extension: an exit 0x7F");
}

static void refusals(void) {
    const uint16_t v = 8;
    struct arch_event e;
    guest(v, SCENARIO_IDLE, 0, 0, MISC2_VMRUN);
    *vmcb32(v, VMCB_GUEST_ASID) = 0;
    arch_run(v, 0, &e);
    check(e.kind == ARCH_EXIT && e.reason == BF_SVM_EXIT_INVALID && *vmcb64(v, VMCB_EXITCODE) == BF_SVM_EXIT_INVALID &&
          e.why && same(e.why, "the guest ASID (VMCB 0x058) is 0"),
          "ASID 0: VMRUN refuses the VMCB, VMEXIT_INVALID (-1), and why");
    check(arch_reg_read(v, bf_reg_t_rip) == GUEST_CODE && arch_reg_read(v, bf_reg_t_rsp) == GUEST_STACK_TOP &&
          arch_reg_read(v, bf_reg_t_cs_attributes) == 0xA9B && arch_reg_read(v, bf_reg_t_cr3) == GUEST_PML4,
          "a refused VMRUN leaves the guest state as it was");

    guest(v, SCENARIO_IDLE, 0, 0, 0);
    arch_run(v, 0, &e);
    check(e.kind == ARCH_EXIT && e.reason == BF_SVM_EXIT_INVALID && e.why && same(e.why, "the VMRUN intercept (VMCB 0x010 bit 0) is not set"),
          "no VMRUN intercept: VMEXIT_INVALID, and why");

    guest(v, SCENARIO_IDLE, 0, 0, MISC2_VMRUN);
    arch_reg_write(v, bf_reg_t_cr3, 0x800000); /* the guest's page tables outside its memory */
    arch_run(v, 0, &e);
    check(e.kind == ARCH_EXIT && e.reason == BF_SVM_EXIT_NPF && e.info2 == 0x800000,
          "a guest pointed outside its 4 MiB: a nested page fault (0x400) at that guest-physical address");
}

static void promoted(void) {
    const uint16_t v = 9;
    guest(v, SCENARIO_CPUID, 0, MISC1_CPUID | MISC1_IOIO_PROT, MISC2_VMRUN);
    *vmcb64(v, VMCB_EXITCODE) = 0x72;
    struct arch_event e;
    serial_puts("  the promoted guest prints on the console itself:\n");
    arch_run(v, 1, &e);
    check(e.kind == ARCH_PROMOTED && *vmcb32(v, VMCB_INTERCEPT_MISC1) == (MISC1_CPUID | MISC1_IOIO_PROT) &&
          *vmcb64(v, VMCB_EXITCODE) == 0x72,
          "promoted: the guest runs with no intercept of the extension's to its halt (ARCH_PROMOTED); the VMCB keeps the extension's fields");
}

static void bench(void) {
    serial_puts("  the bench guest prints on the console itself:\n");
    uint64_t n = arch_bench_cpuid(1000);
    check_eq(n, 1000, "bench: cpuid-loop:1000 makes 1000 CPUID exits, each answered in the firmware");
}

static const char *dumped[8];
static unsigned dumps;

static void dump_line(const char *name, uint64_t value) {
    (void)value;
    if (dumps < 8) dumped[dumps] = name;
    dumps++;
}

static void state(void) {
    uint32_t before = arch_state_crc();
    arch_vps_write(10, 0x100, 8, 1);
    uint32_t changed = arch_state_crc();
    arch_vps_write(10, 0x100, 8, 0);
    check(changed != before && arch_state_crc() == before, "the state checksum follows the VMCBs");
    arch_dump(3, dump_line);
    check(dumps == 6 && same(dumped[0], "intercept misc1 (0x00c)") && same(dumped[5], "exitinfo2 (0x080)"),
          "dump: the sim's six VMCB fields, by its names");
}

unsigned svm_selftest(void) {
    char why[160] = "";
    int up = arch_init(why, sizeof why) == 0;
    check(up, "arch_init: SVM on (EFER.SVME, VM_HSAVE_PA), nested page tables built");
    if (!up) {
        serial_puts("  ");
        serial_puts(why);
        serial_putc('\n');
    } else {
        fields();
        root_state();
        selection();
        decoder();
        cpuid_scenario();
        tour();
        halts();
        msrs();
        ports();
        hypercalls();
        refusals();
        promoted();
        bench();
        state();
    }
    return check_summary();
}
