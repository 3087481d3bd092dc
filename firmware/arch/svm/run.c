/* Entering a guest: the firmware's own needs forced on top of what the
 * extension wrote, for the duration of VMRUN only, then every #VMEXIT
 * sorted into an exit for the extension or a stop the firmware explains.
 *
 * Forced: nested paging with the firmware's tables (a guest reaches only
 * its memory); the HLT and SHUTDOWN intercepts (a HLT nothing wakes would
 * hang the emulated processor, a triple fault would reset the machine);
 * intercept maps only in pages the extension was given (alloc_page), a
 * page it was not given reading as all ones, as the sim reads it; and the
 * guest's console (console.c): a write to COM1's data port the extension
 * does not intercept exits to the firmware. */
#include "bf.h"
#include "pages.h"
#include "svm.h"

/* the firmware's maps: all ones, intercept every port and MSR */
static uint8_t ones_iopm[IOPM_BYTES] __attribute__((aligned(4096)));
static uint8_t ones_msrpm[MSRPM_BYTES] __attribute__((aligned(4096)));
/* a map of which the extension holds only some pages: those, and ones (and the console's port) */
static uint8_t mixed_iopm[IOPM_BYTES] __attribute__((aligned(4096)));
/* only the console's port */
static uint8_t console_iopm[IOPM_BYTES] __attribute__((aligned(4096)));
static uint8_t mixed_msrpm[MSRPM_BYTES] __attribute__((aligned(4096)));

void run_maps_build(void) {
    fill64(ones_iopm, ~0ull, sizeof ones_iopm);
    fill64(ones_msrpm, ~0ull, sizeof ones_msrpm);
    map_set(console_iopm, CONSOLE_PORT);
}

/* the map VMRUN may read for the extension's base */
static uint64_t map_for(uint64_t base, unsigned bytes, uint8_t *ones, uint8_t *mixed) {
    if (base & 0xFFF) return phys_of(ones);
    unsigned pages = bytes / 4096, held = 0;
    for (unsigned i = 0; i < pages; i++) held |= (unsigned)(pages_hold(base + i * 4096ull, 4096) != 0) << i;
    if (held == (1u << pages) - 1) return base;
    if (held == 0) return phys_of(ones);
    for (unsigned i = 0; i < pages; i++) {
        if (held & (1u << i)) copy64(mixed + i * 4096, (const void *)(uintptr_t)(base + i * 4096ull), 4096);
        else fill64(mixed + i * 4096, ~0ull, 4096);
    }
    return phys_of(mixed);
}

/* the fields the firmware forces, as the extension wrote them */
struct own {
    uint32_t cr, dr, exceptions, misc1, misc2, asid;
    uint64_t np, ncr3, iopm, msrpm, efer;
};

static void keep(uint16_t vps, struct own *o) {
    o->cr = *vmcb32(vps, VMCB_INTERCEPT_CR);
    o->dr = *vmcb32(vps, VMCB_INTERCEPT_DR);
    o->exceptions = *vmcb32(vps, VMCB_INTERCEPT_EXCEPTIONS);
    o->misc1 = *vmcb32(vps, VMCB_INTERCEPT_MISC1);
    o->misc2 = *vmcb32(vps, VMCB_INTERCEPT_MISC2);
    o->asid = *vmcb32(vps, VMCB_GUEST_ASID);
    o->np = *vmcb64(vps, VMCB_NP_ENABLE);
    o->ncr3 = *vmcb64(vps, VMCB_N_CR3);
    o->iopm = *vmcb64(vps, VMCB_IOPM_BASE_PA);
    o->msrpm = *vmcb64(vps, VMCB_MSRPM_BASE_PA);
    o->efer = *vmcb64(vps, VMCB_EFER);
}

static void give_back(uint16_t vps, const struct own *o, int promoted) {
    *vmcb32(vps, VMCB_INTERCEPT_CR) = o->cr;
    *vmcb32(vps, VMCB_INTERCEPT_DR) = o->dr;
    *vmcb32(vps, VMCB_INTERCEPT_EXCEPTIONS) = o->exceptions;
    *vmcb32(vps, VMCB_INTERCEPT_MISC1) = o->misc1;
    *vmcb32(vps, VMCB_INTERCEPT_MISC2) = o->misc2;
    *vmcb32(vps, VMCB_GUEST_ASID) = o->asid;
    *vmcb64(vps, VMCB_NP_ENABLE) = o->np;
    *vmcb64(vps, VMCB_N_CR3) = o->ncr3;
    *vmcb64(vps, VMCB_IOPM_BASE_PA) = o->iopm;
    *vmcb64(vps, VMCB_MSRPM_BASE_PA) = o->msrpm;
    if (promoted && !(o->efer & EFER_SVME)) *vmcb64(vps, VMCB_EFER) &= ~EFER_SVME;
}

static void force(uint16_t vps, const struct own *o, int promoted) {
    uint32_t misc1 = o->misc1 | MISC1_HLT | MISC1_SHUTDOWN;
    if (promoted) { /* as if no hypervisor were there: only what VMRUN demands */
        *vmcb32(vps, VMCB_INTERCEPT_CR) = 0;
        *vmcb32(vps, VMCB_INTERCEPT_DR) = 0;
        *vmcb32(vps, VMCB_INTERCEPT_EXCEPTIONS) = 0;
        misc1 = MISC1_HLT | MISC1_SHUTDOWN;
        *vmcb32(vps, VMCB_INTERCEPT_MISC2) = MISC2_VMRUN;
        if (!o->asid) *vmcb32(vps, VMCB_GUEST_ASID) = 1;
        *vmcb64(vps, VMCB_EFER) |= EFER_SVME;
    }
    /* the console's port exits whether or not the extension asked (console.c) */
    uint64_t iopm = phys_of(console_iopm);
    if (misc1 & MISC1_IOIO_PROT) {
        iopm = map_for(o->iopm, IOPM_BYTES, ones_iopm, mixed_iopm);
        const uint8_t *map = (const uint8_t *)(uintptr_t)iopm;
        if (!map_bit(map, CONSOLE_PORT)) {
            if (iopm != phys_of(mixed_iopm)) copy64(mixed_iopm, map, IOPM_BYTES);
            map_set(mixed_iopm, CONSOLE_PORT);
            iopm = phys_of(mixed_iopm);
        }
    }
    misc1 |= MISC1_IOIO_PROT;
    *vmcb32(vps, VMCB_INTERCEPT_MISC1) = misc1;
    *vmcb64(vps, VMCB_NP_ENABLE) = 1;
    *vmcb64(vps, VMCB_N_CR3) = npt_root();
    *vmcb64(vps, VMCB_IOPM_BASE_PA) = iopm;
    *vmcb64(vps, VMCB_MSRPM_BASE_PA) = misc1 & MISC1_MSR_PROT ? map_for(o->msrpm, MSRPM_BYTES, ones_msrpm, mixed_msrpm) : phys_of(ones_msrpm);
}

/* ---- why a guest stopped, in words ---- */

static char why[160];

static void say(const char *a, const char *b) {
    arch_say(why, sizeof why, a, b);
}

static void say_hex(const char *a, uint64_t v) {
    arch_say_hex(why, sizeof why, a, v);
}

/* the sim's entryCheck, in its order, for a VMCB VMRUN refused */
static const char *refused(const struct own *o) {
    if (!(o->misc2 & MISC2_VMRUN)) return "the VMRUN intercept (VMCB 0x010 bit 0) is not set";
    if (o->asid == 0) return "the guest ASID (VMCB 0x058) is 0";
    if (!(o->efer & EFER_SVME)) return "EFER.SVME is clear in the guest state";
    return "VMRUN refused the guest state (VMEXIT_INVALID)";
}

static const char *shutdown_why(uint16_t vps) {
    uint8_t b[MAX_INSN];
    unsigned n;
    uint64_t rip = *vmcb64(vps, VMCB_RIP);
    decode_at_rip(vps, b, &n);
    if (n >= 3 && b[0] == 0x0F && b[1] == 0x01 && b[2] == 0xD9) say("the guest made a hypercall nobody intercepts: #UD with no IDT", 0);
    else if (n >= 2 && b[0] == 0x0F && b[1] == 0x0B) say_hex("the guest ran out of its code at rip ", rip); /* the guest's code ends in UD2 */
    else say_hex("the guest triple-faulted at rip ", rip);
    return why;
}

/* past the HLT a halted guest stopped on: where a HLT nobody intercepts leaves rip */
static void past_hlt(uint16_t vps) {
    uint8_t b[MAX_INSN];
    unsigned n;
    *vmcb64(vps, VMCB_RIP) += decode_at_rip(vps, b, &n);
}

/* a write to the console's data port the extension did not ask for, done
 * by the firmware, the guest moved past it; 0 when the exit is not that one */
static int console_exit(uint16_t vps, const struct own *o, int promoted, uint64_t info1, uint64_t info2) {
    unsigned port = (unsigned)(info1 >> 16) & 0xFFFF, size = (unsigned)(info1 >> IOIO_SIZE_SHIFT) & 7;
    if (port != CONSOLE_PORT || (info1 & IOIO_IN) || size != 1) return 0;
    if (!promoted && (o->misc1 & MISC1_IOIO_PROT)) { /* the sim's rule: a page the extension was not given reads as all ones */
        if ((o->iopm & 0xFFF) || !pages_hold(o->iopm, 4096) || map_bit((const uint8_t *)(uintptr_t)o->iopm, port)) return 0;
    }
    if (console_write(vps, (info1 & IOIO_STR) != 0, (info1 & IOIO_REP) != 0) != 0) return 0; /* the guest's own fault: the extension sees it */
    *vmcb64(vps, VMCB_RIP) = info2; /* EXITINFO2: the next instruction's rip */
    return 1;
}

/* the save area as it was, for a VMRUN that failed: QEMU writes the host's state into it */
static uint64_t before_save[(VMCB_SAVE_END - VMCB_SAVE) / 8];
static uint64_t before_control[(0x0B0 - 0x060) / 8];

void svm_run(uint16_t vps, int promoted, struct arch_event *e) {
    struct own o;
    keep(vps, &o);
    uint64_t code0 = *vmcb64(vps, VMCB_EXITCODE), info1_0 = *vmcb64(vps, VMCB_EXITINFO1), info2_0 = *vmcb64(vps, VMCB_EXITINFO2);
    copy64(before_save, vmcb(vps) + VMCB_SAVE, sizeof before_save);
    copy64(before_control, vmcb(vps) + 0x060, sizeof before_control);
    force(vps, &o, promoted);

    uint64_t code, info1, info2;
    do {
        svm_enter(&svm_saved[vps], phys_of(vmcb(vps)), svm_host_save_pa());
        code = *vmcb64(vps, VMCB_EXITCODE);
        info1 = *vmcb64(vps, VMCB_EXITINFO1);
        info2 = *vmcb64(vps, VMCB_EXITINFO2);
    } while (code == BF_SVM_EXIT_IO && console_exit(vps, &o, promoted, info1, info2));
    give_back(vps, &o, promoted);
    e->why = 0;
    e->reason = e->info1 = e->info2 = 0;

    /* QEMU writes VMEXIT_INVALID as 32 bits: the hardware's is 64 */
    int invalid = (uint32_t)code == 0xFFFFFFFFu;
    if (invalid) {
        copy64(vmcb(vps) + VMCB_SAVE, before_save, sizeof before_save);
        copy64(vmcb(vps) + 0x060, before_control, sizeof before_control);
        code = BF_SVM_EXIT_INVALID;
        info1 = info2 = 0;
    }
    if (promoted || (code == BF_SVM_EXIT_HLT && !(o.misc1 & MISC1_HLT)) ||
        (code == BF_SVM_EXIT_SHUTDOWN && !(o.misc1 & MISC1_SHUTDOWN))) {
        /* not an exit for the extension: the exit fields stay as they were */
        *vmcb64(vps, VMCB_EXITCODE) = code0;
        *vmcb64(vps, VMCB_EXITINFO1) = info1_0;
        *vmcb64(vps, VMCB_EXITINFO2) = info2_0;
        if (code == BF_SVM_EXIT_HLT) {
            past_hlt(vps);
            e->kind = promoted ? ARCH_PROMOTED : ARCH_HALT;
            e->why = promoted ? "the promoted guest halted" : "the guest halted";
        } else if (code == BF_SVM_EXIT_SHUTDOWN) {
            e->kind = ARCH_SHUTDOWN;
            e->why = shutdown_why(vps);
        } else if (code == BF_SVM_EXIT_NPF) {
            e->kind = ARCH_SHUTDOWN;
            say_hex("the promoted guest touched memory it does not have, at guest-physical ", info2);
            e->why = why;
        } else if (invalid) {
            e->kind = ARCH_SHUTDOWN;
            say("the promoted guest could not be entered: ", refused(&o));
            e->why = why;
        } else {
            e->kind = ARCH_SHUTDOWN;
            say_hex("the promoted guest made an exit nothing handles: ", code);
            e->why = why;
        }
        return;
    }

    *vmcb64(vps, VMCB_EXITCODE) = code;
    *vmcb64(vps, VMCB_EXITINFO1) = info1;
    *vmcb64(vps, VMCB_EXITINFO2) = info2;
    e->kind = ARCH_EXIT;
    e->reason = code;
    e->info1 = info1;
    e->info2 = info2;
    svm_note_exit(vps, code, info1, info2);
    if (invalid) e->why = refused(&o);
    if (code == BF_SVM_EXIT_IO && (info1 & IOIO_STR) && !(info1 & IOIO_IN)) outs_element(vps, exit_notes[vps].size);
}

/* ---- what advance_ip needs ---- */

static int is_instruction_exit(uint64_t code) {
    if (code <= 0x3F) return 1;                /* CR and DR accesses */
    return code >= 0x65 && code <= 0x8D && code != BF_SVM_EXIT_SHUTDOWN && code != 0x7E; /* 0x7E: FERR_FREEZE */
}

/* the length of the instruction that exited: EXITINFO2 of an I/O exit is
 * the next rip; any other is decoded (TCG saves no nRIP) */
void svm_note_exit(uint16_t vps, uint64_t code, uint64_t info1, uint64_t info2) {
    struct exit_note *note = &exit_notes[vps];
    *note = (struct exit_note){0};
    uint64_t rip = *vmcb64(vps, VMCB_RIP);
    if (code == BF_SVM_EXIT_IO) {
        uint64_t next = info2 - rip;
        note->length = next >= 1 && next <= MAX_INSN ? (uint8_t)next : 0;
        note->string = (info1 & IOIO_STR) != 0;
        note->input = (info1 & IOIO_IN) != 0;
        note->rep = (info1 & IOIO_REP) != 0;
        unsigned size = (unsigned)(info1 >> IOIO_SIZE_SHIFT) & 7;
        note->size = size & 4 ? 4 : size & 2 ? 2 : 1;
        unsigned addr = (unsigned)(info1 >> IOIO_ADDR_SHIFT) & 7;
        note->addr_bytes = addr & 1 ? 2 : addr & 2 ? 4 : 8;
        return;
    }
    if (!is_instruction_exit(code)) return;
    uint8_t b[MAX_INSN];
    unsigned n;
    note->length = (uint8_t)decode_at_rip(vps, b, &n);
}
