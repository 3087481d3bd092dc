#include "dump.h"
#include "arch.h"
#include "console.h"
#include "options.h"

/* bf_reg_t by value, as ABI.md and bf.h order them */
static const char *const reg_names[] = {
    "rax", "rbx", "rcx", "rdx", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11",
    "r12", "r13", "r14", "r15", "rip", "rsp", "rflags",
    "gdtr_base_addr", "gdtr_limit", "idtr_base_addr", "idtr_limit",
    "es_selector", "es_base_addr", "es_limit", "es_attributes",
    "cs_selector", "cs_base_addr", "cs_limit", "cs_attributes",
    "ss_selector", "ss_base_addr", "ss_limit", "ss_attributes",
    "ds_selector", "ds_base_addr", "ds_limit", "ds_attributes",
    "fs_selector", "fs_base_addr", "fs_limit", "fs_attributes",
    "gs_selector", "gs_base_addr", "gs_limit", "gs_attributes",
    "ldtr_selector", "ldtr_base_addr", "ldtr_limit", "ldtr_attributes",
    "tr_selector", "tr_base_addr", "tr_limit", "tr_attributes",
    "cr0", "cr2", "cr3", "cr4", "dr6", "dr7", "ia32_efer", "ia32_star",
    "ia32_lstar", "ia32_cstar", "ia32_fmask", "ia32_fs_base", "ia32_gs_base",
    "ia32_kernel_gs_base", "ia32_sysenter_cs", "ia32_sysenter_esp",
    "ia32_sysenter_eip", "ia32_pat", "ia32_debugctl",
};
_Static_assert(sizeof reg_names / sizeof reg_names[0] == bf_reg_t_count, "a name for every bf_reg_t");
_Static_assert(bf_reg_t_r15 == 14 && bf_reg_t_tr_attributes == 53 && bf_reg_t_ia32_debugctl == 72, "the names follow bf.h's order");

static const char *state_name(uint8_t st) {
    return st == LIVE ? "live" : st == ZOMBIE ? "zombie" : "free";
}

/* ", " between the items of a list */
static void item(struct line *l, int *first, uint64_t v) {
    if (!*first) line_str(l, ", ");
    *first = 0;
    line_dec(l, v);
}

bf_status_t sys_dump_vm(const uint64_t reg[6], uint64_t out[6]) {
    (void)out;
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    uint64_t id = reg[1];
    if (id >= limits.vms || vms[id].state == FREE) return BF_STATUS_INVALID_PARAMS1;
    struct line l;
    int first = 1;
    line_start(&l);
    line_str(&l, "vm ");
    line_dec(&l, id);
    line_str(&l, ": ");
    line_str(&l, state_name(vms[id].state));
    line_str(&l, ", vps [");
    for (unsigned vp = 0; vp < limits.vps; vp++) {
        if (vps[vp].state != FREE && vps[vp].vm == id) item(&l, &first, vp);
    }
    line_str(&l, "], active on pps [");
    first = 1;
    for (unsigned p = 0; p < limits.pps; p++) {
        if (pps[p].vm == id) item(&l, &first, p);
    }
    line_str(&l, "]");
    console_line(current_pp, &l);
    return BF_STATUS_SUCCESS;
}

bf_status_t sys_dump_vp(const uint64_t reg[6], uint64_t out[6]) {
    (void)out;
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    uint64_t id = reg[1];
    if (id >= limits.vps || vps[id].state == FREE) return BF_STATUS_INVALID_PARAMS1;
    struct line l;
    int first = 1;
    line_start(&l);
    line_str(&l, "vp ");
    line_dec(&l, id);
    line_str(&l, ": ");
    line_str(&l, state_name(vps[id].state));
    line_str(&l, ", vm ");
    line_dec(&l, vps[id].vm);
    line_str(&l, ", vpss [");
    for (unsigned v = 0; v < limits.vpss; v++) {
        if (vpss[v].state != FREE && vpss[v].vp == id) item(&l, &first, v);
    }
    line_str(&l, "]");
    console_line(current_pp, &l);
    return BF_STATUS_SUCCESS;
}

static void field_line(const char *name, uint64_t value) {
    struct line l;
    line_start(&l);
    line_str(&l, "  ");
    line_str(&l, name);
    line_pad(&l, 22);
    line_str(&l, " ");
    line_hex64(&l, value);
    console_line(current_pp, &l);
}

bf_status_t sys_dump_vps(const uint64_t reg[6], uint64_t out[6]) {
    (void)out;
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    uint64_t id = reg[1];
    if (id >= limits.vpss || vpss[id].state == FREE) return BF_STATUS_INVALID_PARAMS1;
    struct line l;
    line_start(&l);
    line_str(&l, "vps ");
    line_dec(&l, id);
    line_str(&l, ": ");
    line_str(&l, state_name(vpss[id].state));
    line_str(&l, ", vp ");
    line_dec(&l, vpss[id].vp);
    line_str(&l, ", pp ");
    line_dec(&l, vpss[id].pp);
    console_line(current_pp, &l);
    for (unsigned r = 0; r < bf_reg_t_count; r++) field_line(reg_names[r], arch_reg_read((uint16_t)id, r));
    arch_dump((uint16_t)id, field_line);
    return BF_STATUS_SUCCESS;
}

bf_status_t sys_dump_vmexit_log(const uint64_t reg[6], uint64_t out[6]) {
    (void)out;
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    uint64_t id = reg[1];
    if (id >= limits.vps || vps[id].state == FREE) return BF_STATUS_INVALID_PARAMS1;
    const struct vp *vp = &vps[id];
    struct line l;
    line_start(&l);
    line_str(&l, "vmexit log of vp ");
    line_dec(&l, id);
    line_str(&l, ": last ");
    line_dec(&l, vp->log_count);
    console_line(current_pp, &l);
    for (unsigned i = 0; i < vp->log_count; i++) {
        const struct exit_entry *e = &vp->log[(vp->log_next + EXIT_LOG - vp->log_count + i) % EXIT_LOG];
        line_start(&l);
        line_str(&l, "  vps ");
        line_dec(&l, e->vps);
        line_str(&l, " reason ");
        line_hex64(&l, e->reason);
        line_str(&l, " info1 ");
        line_hex64(&l, e->info1);
        line_str(&l, " info2 ");
        line_hex64(&l, e->info2);
        line_str(&l, " rip ");
        line_hex64(&l, e->rip);
        console_line(current_pp, &l);
    }
    return BF_STATUS_SUCCESS;
}
