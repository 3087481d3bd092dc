/* archtest on Intel: the VMX half end to end, without the kernel half. A
 * few checks kvm-unit-tests style; the ABI suite under Bochs covers the
 * rest through the kernel. */
#include "../../guest/layout.h"
#include "bf.h"
#include "check.h"
#include "serial.h"
#include "vmx.h"

/* the cpuid scenario with every exit answered here: the signature comes back */
static void cpuid_scenario(void) {
    const uint16_t v = 1;
    arch_vps_reset(v);
    root_load(v, 0, 0, SCENARIO_CPUID_LOOP, 3);
    unsigned cpuids = 0;
    struct arch_event e;
    for (;;) {
        arch_run(v, 0, &e);
        if (e.kind != ARCH_EXIT || e.reason != BF_VMX_EXIT_CPUID || cpuids > 10) break;
        cpuids++;
        arch_reg_write(v, bf_reg_t_rax, 0x40000000);
        arch_reg_write(v, bf_reg_t_rbx, 0x48786642);
        arch_reg_write(v, bf_reg_t_rcx, 0x72657079);
        arch_reg_write(v, bf_reg_t_rdx, 0x6D736157);
        arch_advance_ip(v);
    }
    check_eq(cpuids, 3, "cpuid-loop:3 makes three CPUID exits (reason 10)");
    if (cpuids != 3) {
        serial_puts("  stopped on reason ");
        serial_hex(e.reason);
        serial_puts(e.why ? e.why : "");
        serial_putc('\n');
    }
    check_eq(e.kind, ARCH_HALT, "then halts, HLT not intercepted");
}

static void fields(void) {
    const uint16_t v = 2;
    uint64_t x = 0;
    arch_vps_reset(v);
    check(arch_vps_read(v, VMCS_PROC_CONTROLS, 4, &x) == 0 && x == PROC_USE_MSR_BITMAPS, "a new VMCS has MSR bitmaps on, as the sim's");
    check(arch_vps_read(v, VMCS_PROC_CONTROLS, 8, &x) != 0, "a 32-bit field refuses an 8-byte read");
    check(arch_vps_write(v, VMCS_EXIT_REASON, 4, 1) != 0, "a read-only field refuses a write");
    check(arch_vps_write(v, 0x681C, 8, 0x1234) == 0 && arch_reg_read(v, bf_reg_t_rsp) == 0x1234, "guest rsp (0x681c) is bf_reg_t rsp");
}

unsigned vmx_selftest(void) {
    char why[160] = "";
    if (arch_init(why, sizeof why) != 0) {
        check(0, why);
    } else {
        check(1, "VMXON, the EPT and the host state are up");
        fields();
        cpuid_scenario();
    }
    return check_summary();
}
