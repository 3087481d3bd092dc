/* bf_vps_op_* past creation: the guest state of a VPS (through arch.h) and
 * what each physical processor will enter when the host sends RUN. */
#include "vps.h"
#include "arch.h"
#include "options.h"
#include "resources.h"

#define OK BF_STATUS_SUCCESS
#define UNKNOWN BF_STATUS_FAILURE_UNKNOWN
#define P1 BF_STATUS_INVALID_PARAMS1
#define P2 BF_STATUS_INVALID_PARAMS2
#define P3 BF_STATUS_INVALID_PARAMS3

bf_status_t sys_init_as_root(const uint64_t reg[6], uint64_t out[6]) {
    (void)out;
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!vps_local(reg[1])) return P1;
    arch_init_root((uint16_t)reg[1], current_pp);
    return OK;
}

static bf_status_t read_field(const uint64_t reg[6], uint64_t out[6], unsigned bytes) {
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!vps_local(reg[1])) return P1;
    uint64_t v;
    if (arch_vps_read((uint16_t)reg[1], reg[2], bytes, &v) != 0) return P2;
    out[0] = v;
    return OK;
}

static bf_status_t write_field(const uint64_t reg[6], unsigned bytes) {
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!vps_local(reg[1])) return P1;
    /* a value with bits above the field's width is invalid, as any narrow argument */
    if (bytes < 8 && (reg[3] >> (bytes * 8)) != 0) {
        /* ...but the index is argument 2 and is judged first */
        uint64_t ignored;
        if (arch_vps_read((uint16_t)reg[1], reg[2], bytes, &ignored) != 0) return P2;
        return P3;
    }
    return arch_vps_write((uint16_t)reg[1], reg[2], bytes, reg[3]) == 0 ? OK : P2;
}

bf_status_t sys_read8(const uint64_t reg[6], uint64_t out[6]) { return read_field(reg, out, 1); }
bf_status_t sys_read16(const uint64_t reg[6], uint64_t out[6]) { return read_field(reg, out, 2); }
bf_status_t sys_read32(const uint64_t reg[6], uint64_t out[6]) { return read_field(reg, out, 4); }
bf_status_t sys_read64(const uint64_t reg[6], uint64_t out[6]) { return read_field(reg, out, 8); }
bf_status_t sys_write8(const uint64_t reg[6], uint64_t out[6]) { (void)out; return write_field(reg, 1); }
bf_status_t sys_write16(const uint64_t reg[6], uint64_t out[6]) { (void)out; return write_field(reg, 2); }
bf_status_t sys_write32(const uint64_t reg[6], uint64_t out[6]) { (void)out; return write_field(reg, 4); }
bf_status_t sys_write64(const uint64_t reg[6], uint64_t out[6]) { (void)out; return write_field(reg, 8); }

bf_status_t sys_read_reg(const uint64_t reg[6], uint64_t out[6]) {
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!vps_local(reg[1])) return P1;
    if (reg[2] >= bf_reg_t_count) return P2;
    out[0] = arch_reg_read((uint16_t)reg[1], (unsigned)reg[2]);
    return OK;
}

bf_status_t sys_write_reg(const uint64_t reg[6], uint64_t out[6]) {
    (void)out;
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!vps_local(reg[1])) return P1;
    if (reg[2] >= bf_reg_t_count) return P2;
    arch_reg_write((uint16_t)reg[1], (unsigned)reg[2], reg[3]);
    return OK;
}

bf_status_t sys_run(const uint64_t reg[6], uint64_t out[6]) {
    (void)out;
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    uint64_t vps_id = reg[1], vp_id = reg[2], vm_id = reg[3];
    if (!vps_local(vps_id)) return P1;
    if (!vp_live(vp_id)) return P2;
    if (!vm_live(vm_id)) return P3;
    if (vpss[vps_id].vp != vp_id) return P1;
    if (vps[vp_id].vm != vm_id) return P2;
    for (unsigned p = 0; p < limits.pps; p++) {
        if (p == current_pp) continue;
        if (pps[p].vp == vp_id) return P2; /* a VP runs on one processor at a time */
        if (pps[p].vps == vps_id) return P1;
    }
    if (!arch_up) return UNKNOWN; /* nothing can be entered without the architecture */
    pps[current_pp] = (struct pp){.state = PP_READY, .vm = (uint16_t)vm_id, .vp = (uint16_t)vp_id, .vps = (uint16_t)vps_id};
    return OK;
}

bf_status_t sys_run_current(const uint64_t reg[6], uint64_t out[6]) {
    (void)out;
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    struct pp *p = &pps[current_pp];
    if (p->state != PP_EXITED && p->state != PP_READY) return UNKNOWN;
    if (!vps_live(p->vps) || !vp_live(p->vp) || !vm_live(p->vm)) return UNKNOWN;
    p->state = PP_READY;
    return OK;
}

bf_status_t sys_advance_ip(const uint64_t reg[6], uint64_t out[6]) {
    (void)out;
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!vps_local(reg[1])) return P1;
    arch_advance_ip((uint16_t)reg[1]);
    return OK;
}

bf_status_t sys_advance_ip_and_run_current(const uint64_t reg[6], uint64_t out[6]) {
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!vps_local(reg[1]) || pps[current_pp].vps != reg[1]) return P1; /* it must name what is loaded here */
    bf_status_t status = sys_run_current(reg, out);
    if (status != OK) return status;
    arch_advance_ip((uint16_t)reg[1]);
    return OK;
}

bf_status_t sys_promote(const uint64_t reg[6], uint64_t out[6]) {
    (void)out;
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    uint64_t id = reg[1];
    if (!vps_local(id)) return P1;
    if (!arch_up) return UNKNOWN;
    uint16_t vp = vpss[id].vp;
    pps[current_pp] = (struct pp){.state = PP_PROMOTE, .vm = vps[vp].vm, .vp = vp, .vps = (uint16_t)id};
    return OK;
}
