#include "run.h"
#include "arch.h"
#include "console.h"
#include "link.h"
#include "resources.h"
#include "string.h"
#include "wire.h"

/* EXIT: what a handler reads first travels with it; for a CPUID exit that
 * includes the processor's own answer to the guest's leaf and subleaf,
 * which a handler that passes CPUID through asks for next */
static void send_exit(uint16_t ppid, uint16_t vps_id, const struct arch_event *e, uint64_t rip) {
    static const unsigned regs[] = {bf_reg_t_rax, bf_reg_t_rbx, bf_reg_t_rcx, bf_reg_t_rdx, bf_reg_t_rsi, bf_reg_t_rdi};
    uint8_t p[88 + 16];
    uint32_t flags = arch_console_written() ? BFX_WIRE_EXIT_CONSOLE : 0;
    uint64_t v[10] = {e->reason, e->info1, e->info2};
    for (unsigned i = 0; i < 6; i++) v[3 + i] = arch_reg_read(vps_id, regs[i]);
    v[9] = rip;
    memcpy(p, &ppid, 2);
    memcpy(p + 2, &vps_id, 2);
    memcpy(p + 4, &flags, 4);
    memcpy(p + 8, v, sizeof v);
    uint64_t cpuid_exit = arch_id() == BFX_WIRE_ARCH_AMD ? BF_SVM_EXIT_CPUID : BF_VMX_EXIT_CPUID;
    if (e->reason != cpuid_exit) {
        wire_send(BFX_WIRE_EXIT, link_seq, p, 88);
        return;
    }
    uint32_t native[4];
    arch_cpuid((uint32_t)v[3], (uint32_t)v[5], native);
    memcpy(p + 88, native, sizeof native);
    wire_send(BFX_WIRE_EXIT, link_seq, p, sizeof p);
}

static void send_stopped(uint16_t ppid, uint16_t vps_id, uint8_t how, const char *why) {
    uint8_t p[6 + 200];
    if (!why) why = "";
    size_t n = strlen(why);
    if (n > sizeof p - 7) n = sizeof p - 7;
    memcpy(p, &ppid, 2);
    memcpy(p + 2, &vps_id, 2);
    p[4] = how;
    p[5] = 0;
    memcpy(p + 6, why, n);
    p[6 + n] = 0;
    wire_send(BFX_WIRE_STOPPED, link_seq, p, (uint32_t)(7 + n));
}

int run_guest(uint16_t ppid) {
    struct pp *p = &pps[ppid];
    if (p->vps == NONE || (p->state != PP_READY && p->state != PP_PROMOTE)) return -1;
    int promoted = p->state == PP_PROMOTE;
    uint16_t vps_id = p->vps;
    struct arch_event e = {0};
    arch_run(vps_id, promoted, &e);
    if (e.kind == ARCH_EXIT) {
        uint64_t rip = arch_reg_read(vps_id, bf_reg_t_rip);
        int invalid = arch_id() == BFX_WIRE_ARCH_AMD ? e.reason == BF_SVM_EXIT_INVALID : e.reason == BF_VMX_EXIT_INVALID;
        if (invalid) {
            /* the hardware only says it refused; the architecture checked why before */
            struct line l;
            line_start(&l);
            line_str(&l, "vps ");
            line_dec(&l, vps_id);
            line_str(&l, " cannot be entered: ");
            line_str(&l, e.why ? e.why : "the processor refused its state");
            console_line(ppid, &l);
        }
        exit_log_record(vps_id, e.reason, e.info1, e.info2, rip);
        p->state = PP_EXITED;
        send_exit(ppid, vps_id, &e, rip);
        return 0;
    }
    p->state = PP_DONE;
    uint8_t how = e.kind == ARCH_HALT ? BFX_WIRE_STOP_HALT : e.kind == ARCH_PROMOTED ? BFX_WIRE_STOP_PROMOTED : BFX_WIRE_STOP_SHUTDOWN;
    send_stopped(ppid, vps_id, how, e.why);
    return 0;
}
