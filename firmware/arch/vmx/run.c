/* Entering a guest under VMX: the firmware's own needs forced on top of
 * what the extension wrote, for the length of the entry only, then every
 * VM exit sorted into an exit for the extension or a stop the firmware
 * explains.
 *
 * Forced: EPT over guest memory (a guest reaches only its memory); HLT
 * exiting (a HLT nothing wakes would hang the emulated processor); the
 * host's 64-bit state, EFER and PAT switched on entry and exit; CR0 and CR4
 * fixed bits, hidden from the guest behind the masks; bitmaps only in
 * pages the extension was given (alloc_page), any other reading as all
 * ones, as the sim reads it.
 *
 * And the guest's console (console.c): a write to COM1's data port that
 * the extension does not intercept exits to the firmware. */
#include "bf.h"
#include "pages.h"
#include "vmx.h"

#define MSR_STAR 0xC0000081
#define MSR_LSTAR 0xC0000082
#define MSR_CSTAR 0xC0000083
#define MSR_FMASK 0xC0000084
#define MSR_KERNEL_GS_BASE 0xC0000102

static uint8_t ones[4096] __attribute__((aligned(4096)));
static uint8_t zeros[4096] __attribute__((aligned(4096)));
/* I/O bitmap A with only the console's data port set, and the extension's map plus that port */
static uint8_t console_a[4096] __attribute__((aligned(4096)));
static uint8_t mixed_a[4096] __attribute__((aligned(4096)));
static int maps_built;

/* a bitmap page the processor may read for the extension's base */
static uint64_t map_for(uint64_t base) {
    if (base == VMX_ZERO_PAGE_PHYS) return phys_of(zeros);
    if ((base & 0xFFF) || !pages_hold(base, 4096)) return phys_of(ones);
    return base;
}

static uint64_t soft(uint16_t vps, uint16_t encoding) {
    return vmx_copy[vps][vmx_slot(encoding)];
}

static void set_soft(uint16_t vps, uint16_t encoding, uint64_t value) {
    vmx_copy[vps][vmx_slot(encoding)] = value;
}

/* bits of CR0 or CR4 the processor fixes in VMX operation */
static uint64_t forced_bits(uint64_t fixed0, uint64_t fixed1) {
    return (fixed0 | ~fixed1) & 0xFFFFFFFFull;
}

/* CR0 or CR4 as the hardware takes it, and the mask and shadow that hide the difference */
static void control_register(uint16_t vps, uint16_t cr, uint16_t mask, uint16_t shadow, uint64_t fixed0, uint64_t fixed1, int promoted) {
    uint64_t value = soft(vps, cr), forced = forced_bits(fixed0, fixed1);
    uint64_t ext_mask = promoted ? 0 : soft(vps, mask);
    vmwrite(cr, (value | fixed0) & (fixed1 | ~0xFFFFFFFFull));
    vmwrite(mask, ext_mask | forced);
    vmwrite(shadow, (soft(vps, shadow) & ~forced) | (value & forced));
}

/* the guest's CR0 or CR4 after the exit: what the guest may have changed, the forced bits as the extension set them */
static void control_register_back(uint16_t vps, uint16_t cr, uint64_t fixed0, uint64_t fixed1) {
    uint64_t forced = forced_bits(fixed0, fixed1);
    set_soft(vps, cr, (vmread(cr) & ~forced) | (soft(vps, cr) & forced));
}

static void force(uint16_t vps, int promoted) {
    uint32_t proc = (uint32_t)soft(vps, VMCS_PROC_CONTROLS) & ~(PROC_TPR_SHADOW | PROC_NMI_WINDOW);
    uint32_t proc2 = (uint32_t)soft(vps, VMCS_PROC2_CONTROLS) & PROC2_ALLOWED;
    if (promoted) { /* as if no hypervisor were there: only what the firmware needs */
        proc = PROC_USE_MSR_BITMAPS;
        proc2 = 0;
    }
    proc |= PROC_HLT_EXITING | PROC_SECONDARY;
    vmwrite(VMCS_PIN_CONTROLS, vmx_adjust(0, vmx_caps.pin0, vmx_caps.pin1));
    vmwrite(VMCS_PROC2_CONTROLS, vmx_adjust(proc2 | PROC2_EPT, vmx_caps.proc2_0, vmx_caps.proc2_1));
    vmwrite(VMCS_EXIT_CONTROLS, vmx_adjust(EXIT_HOST_64 | EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_EFER | EXIT_LOAD_EFER, vmx_caps.exit0, vmx_caps.exit1));
    int long_mode = (vmread(VMCS_GUEST_EFER) & EFER_LMA) != 0;
    vmwrite(VMCS_ENTRY_CONTROLS, vmx_adjust(ENTRY_LOAD_PAT | ENTRY_LOAD_EFER | (long_mode ? ENTRY_IA32E_GUEST : 0), vmx_caps.entry0, vmx_caps.entry1));
    /* the console's port exits whether or not the extension asked (see above) */
    uint64_t a = phys_of(console_a), b = phys_of(zeros);
    if (proc & PROC_USE_IO_BITMAPS) {
        a = map_for(soft(vps, VMCS_IO_BITMAP_A));
        b = map_for(soft(vps, VMCS_IO_BITMAP_B));
        if (!map_bit((const uint8_t *)(uintptr_t)a, CONSOLE_PORT)) {
            copy64(mixed_a, (const void *)(uintptr_t)a, sizeof mixed_a);
            map_set(mixed_a, CONSOLE_PORT);
            a = phys_of(mixed_a);
        }
    } else if (!(proc & PROC_UNCONDITIONAL_IO)) {
        proc |= PROC_USE_IO_BITMAPS;
    }
    vmwrite(VMCS_PROC_CONTROLS, vmx_adjust(proc, vmx_caps.proc0, vmx_caps.proc1));
    vmwrite(VMCS_IO_BITMAP_A, a);
    vmwrite(VMCS_IO_BITMAP_B, b);
    vmwrite(VMCS_MSR_BITMAP, promoted ? phys_of(zeros) : map_for(soft(vps, VMCS_MSR_BITMAP)));
    control_register(vps, VMCS_GUEST_CR0, VMCS_CR0_MASK, VMCS_CR0_SHADOW, vmx_caps.cr0_fixed0, vmx_caps.cr0_fixed1, promoted);
    control_register(vps, VMCS_GUEST_CR4, VMCS_CR4_MASK, VMCS_CR4_SHADOW, vmx_caps.cr4_fixed0, vmx_caps.cr4_fixed1, promoted);
}

/* the registers VM entry does not load, in and out */
/* the guest's value of each over the firmware's zero */
static void guest_msr(uint32_t msr, uint64_t guest) {
    if (guest != 0) wrmsr64(msr, guest);
}

static void msrs_in(const struct vmx_saved *s) {
    __asm__ volatile("mov %0, %%dr6" : : "r"(s->dr6));
    guest_msr(MSR_STAR, s->star);
    guest_msr(MSR_LSTAR, s->lstar);
    guest_msr(MSR_CSTAR, s->cstar);
    guest_msr(MSR_FMASK, s->fmask);
    guest_msr(MSR_KERNEL_GS_BASE, s->kernel_gs_base);
}

/* the firmware's own value of each: it uses none of them, and keeps no
 * guest's; written back only when the guest's differs (most never do) */
static void host_msr(uint32_t msr, uint64_t guest) {
    if (guest != 0) wrmsr64(msr, 0);
}

static void msrs_out(struct vmx_saved *s) {
    __asm__ volatile("mov %%dr6, %0" : "=r"(s->dr6));
    host_msr(MSR_STAR, s->star = rdmsr64(MSR_STAR));
    host_msr(MSR_LSTAR, s->lstar = rdmsr64(MSR_LSTAR));
    host_msr(MSR_CSTAR, s->cstar = rdmsr64(MSR_CSTAR));
    host_msr(MSR_FMASK, s->fmask = rdmsr64(MSR_FMASK));
    host_msr(MSR_KERNEL_GS_BASE, s->kernel_gs_base = rdmsr64(MSR_KERNEL_GS_BASE));
}

/* the exit information the extension reads, as the hardware left it */
static const uint16_t exit_fields[] = {0x4400, 0x4402, 0x4404, 0x4406, 0x4408, 0x440A, 0x440C, 0x440E, 0x6400, 0x640A, 0x2400};

static void keep_exit_information(uint16_t vps) {
    for (unsigned i = 0; i < sizeof exit_fields / sizeof exit_fields[0]; i++) set_soft(vps, exit_fields[i], vmread(exit_fields[i]));
}

/* an I/O exit's qualification (SDM table 28-5) */
struct io_exit {
    unsigned port, size;
    int input, string, rep;
};

static struct io_exit io_exit(uint64_t q) {
    return (struct io_exit){(unsigned)(q >> 16) & 0xFFFF, (unsigned)(q & 7) + 1, (q >> 3) & 1, (q >> 4) & 1, (q >> 5) & 1};
}

/* the exits of an instruction, whose length the VMCS reports (SDM 28.2.5) */
static int is_instruction_exit(uint32_t basic) {
    switch (basic) {
    case 10: case 11: case 12: case 13: case 14: case 15: case 16: case 17: case 18:
    case 19: case 20: case 21: case 22: case 23: case 24: case 25: case 26: case 27:
    case 28: case 29: case 30: case 31: case 32: case 36: case 39: case 40:
    case 46: case 47: case 50: case 51: case 53: case 54: case 55: case 57: case 58: case 59:
        return 1;
    default:
        return 0;
    }
}

/* what advance_ip needs: the length, and for string I/O its element, direction and address size */
static void note_exit(uint16_t vps, uint32_t basic) {
    struct exit_note *note = &exit_notes[vps];
    *note = (struct exit_note){0};
    if (!is_instruction_exit(basic)) return;
    note->length = (uint8_t)soft(vps, VMCS_EXIT_INSTRUCTION_LENGTH);
    if (basic != VMX_EXIT_IO) return;
    struct io_exit io = io_exit(soft(vps, VMCS_EXIT_QUALIFICATION));
    note->string = (uint8_t)io.string;
    note->rep = (uint8_t)io.rep;
    note->input = (uint8_t)io.input;
    note->size = (uint8_t)io.size;
    if (vmx_caps.ins_outs_info) {
        unsigned a = (unsigned)(soft(vps, VMCS_EXIT_INSTRUCTION_INFO) >> 7) & 7;
        note->addr_bytes = a == 0 ? 2 : a == 1 ? 4 : 8;
    } else {
        note->addr_bytes = 8;
    }
}

static void past_instruction(void) {
    vmwrite(VMCS_GUEST_RIP, vmread(VMCS_GUEST_RIP) + vmread(VMCS_EXIT_INSTRUCTION_LENGTH));
}

static char why[160];

/* the sim's intercept rule for one port, as the extension set the controls */
static int extension_intercepts_port(uint16_t vps, unsigned port) {
    uint32_t proc = (uint32_t)soft(vps, VMCS_PROC_CONTROLS);
    if (!(proc & PROC_USE_IO_BITMAPS)) return (proc & PROC_UNCONDITIONAL_IO) != 0;
    uint64_t base = soft(vps, port < 0x8000 ? VMCS_IO_BITMAP_A : VMCS_IO_BITMAP_B);
    const uint8_t *map = (const uint8_t *)(uintptr_t)map_for(base);
    return map_bit(map, port & 0x7FFF);
}

/* a write to the console's data port the extension did not ask for,
 * done by the firmware; 0 when the exit is not that one */
static int console_exit(uint16_t vps, uint64_t q) {
    struct io_exit io = io_exit(q);
    if (io.port != CONSOLE_PORT || io.input || io.size != 1 || extension_intercepts_port(vps, io.port)) return 0;
    if (console_write(vps, io.string, io.rep) != 0) return 0; /* the guest's own fault: let it reach the extension */
    past_instruction();
    return 1;
}

/* a promoted guest's CPUID, answered as the processor would */
static void native_cpuid(uint16_t vps) {
    struct vmx_saved *s = &vmx_saved[vps];
    uint32_t r[4];
    arch_cpuid((uint32_t)s->gpr[bf_reg_t_rax], (uint32_t)s->gpr[bf_reg_t_rcx], r);
    s->gpr[bf_reg_t_rax] = r[0];
    s->gpr[bf_reg_t_rbx] = r[1];
    s->gpr[bf_reg_t_rcx] = r[2];
    s->gpr[bf_reg_t_rdx] = r[3];
}

/* the sim's entryCheck first, then what the processor said */
static void refused(uint16_t vps, struct arch_event *e, const char *what, uint64_t raw) {
    set_soft(vps, VMCS_EXIT_REASON, raw);
    set_soft(vps, VMCS_EXIT_QUALIFICATION, 0);
    set_soft(vps, VMCS_EXIT_INSTRUCTION_LENGTH, 0);
    exit_notes[vps] = (struct exit_note){0};
    e->kind = ARCH_EXIT;
    e->reason = BF_VMX_EXIT_INVALID;
    e->info1 = e->info2 = 0;
    e->why = what;
}

/* enters the guest, its controls already forced, until an event for the
 * kernel: the console's writes and a promoted guest's CPUIDs are answered
 * here and the guest entered again */
static void enter(uint16_t vps, int promoted, struct arch_event *e) {
    struct vmx_saved *s = &vmx_saved[vps];
    for (;;) {
        msrs_in(s);
        int failed = vmx_enter(s, vmx_launched[vps]);
        msrs_out(s);
        control_register_back(vps, VMCS_GUEST_CR0, vmx_caps.cr0_fixed0, vmx_caps.cr0_fixed1);
        control_register_back(vps, VMCS_GUEST_CR4, vmx_caps.cr4_fixed0, vmx_caps.cr4_fixed1);
        if (failed) {
            uint64_t error = vmread(VMCS_INSTRUCTION_ERROR);
            arch_say_hex(why, sizeof why, "VM entry refused the VMCS's controls or host state: VM-instruction error ", error);
            if (promoted) {
                e->kind = ARCH_SHUTDOWN;
                e->why = why;
                return;
            }
            refused(vps, e, why, BF_VMX_EXIT_INVALID);
            set_soft(vps, VMCS_INSTRUCTION_ERROR, error);
            return;
        }
        uint32_t raw = (uint32_t)vmread(VMCS_EXIT_REASON);
        uint32_t basic = raw & 0xFFFF;
        if (raw & VMX_EXIT_ENTRY_FAILED) {
            arch_say_hex(why, sizeof why, "VM entry refused the guest state: exit reason ", raw);
            if (promoted) {
                e->kind = ARCH_SHUTDOWN;
                e->why = why;
                return;
            }
            keep_exit_information(vps);
            refused(vps, e, why, raw);
            return;
        }
        vmx_launched[vps] = 1;
        if (basic == VMX_EXIT_IO && console_exit(vps, vmread(VMCS_EXIT_QUALIFICATION))) continue;
        if (promoted) {
            if (basic == VMX_EXIT_CPUID) { /* the firmware answers it: no hypervisor is there */
                native_cpuid(vps);
                past_instruction();
                continue;
            }
            if (basic == VMX_EXIT_HLT) {
                past_instruction();
                e->kind = ARCH_PROMOTED;
                e->why = "the promoted guest halted";
            } else if (basic == VMX_EXIT_TRIPLE_FAULT) {
                e->kind = ARCH_SHUTDOWN;
                arch_say_hex(why, sizeof why, "the guest triple-faulted at rip ", vmread(VMCS_GUEST_RIP));
                e->why = why;
            } else if (basic == VMX_EXIT_VMCALL) {
                e->kind = ARCH_SHUTDOWN;
                e->why = "the guest made a hypercall nobody intercepts: #UD with no IDT";
            } else if (basic == VMX_EXIT_EPT_VIOLATION) {
                e->kind = ARCH_SHUTDOWN;
                arch_say_hex(why, sizeof why, "the promoted guest touched memory it does not have, at guest-physical ", vmread(VMCS_GUEST_PHYSICAL_ADDRESS));
                e->why = why;
            } else {
                e->kind = ARCH_SHUTDOWN;
                arch_say_hex(why, sizeof why, "the promoted guest made an exit nothing handles: ", basic);
                e->why = why;
            }
            return;
        }
        if (basic == VMX_EXIT_HLT && !(soft(vps, VMCS_PROC_CONTROLS) & PROC_HLT_EXITING)) {
            /* not an exit for the extension: the exit information stays as it was */
            past_instruction();
            e->kind = ARCH_HALT;
            e->why = "the guest halted";
            return;
        }
        keep_exit_information(vps);
        note_exit(vps, basic);
        e->kind = ARCH_EXIT;
        e->reason = basic;
        e->info1 = soft(vps, VMCS_EXIT_QUALIFICATION);
        e->info2 = soft(vps, VMCS_GUEST_PHYSICAL_ADDRESS);
        if (basic == VMX_EXIT_IO) {
            struct io_exit io = io_exit(e->info1);
            if (io.string && !io.input) outs_element(vps, io.size);
        }
        return;
    }
}

void vmx_run(uint16_t vps, int promoted, struct arch_event *e) {
    if (!maps_built) {
        fill64(ones, ~0ull, sizeof ones);
        map_set(console_a, CONSOLE_PORT);
        maps_built = 1;
    }
    *e = (struct arch_event){0};
    vmx_load(vps);
    if (vmread(VMCS_LINK_POINTER) != ~0ull) {
        if (promoted) {
            e->kind = ARCH_SHUTDOWN;
            e->why = "the promoted guest could not be entered: the VMCS link pointer (0x2800) is not all ones";
            return;
        }
        refused(vps, e, "the VMCS link pointer (0x2800) is not all ones", BF_VMX_EXIT_INVALID);
        return;
    }
    force(vps, promoted);
    /* a promoted guest takes its own exceptions: the extension's bitmap, kept in the VMCS, comes back after */
    uint64_t exceptions = vmread(VMCS_EXCEPTION_BITMAP);
    if (promoted) vmwrite(VMCS_EXCEPTION_BITMAP, 0);
    enter(vps, promoted, e);
    if (promoted) vmwrite(VMCS_EXCEPTION_BITMAP, exceptions);
}
