#include "resources.h"
#include "arch.h"
#include "options.h"
#include "string.h"

uint8_t handles[MAX_HANDLES];
struct vm vms[CONFIG_VMS];
struct vp vps[CONFIG_VPS];
struct vps vpss[CONFIG_VPSS];
struct pp pps[CONFIG_PPS];
uint16_t current_pp;
int arch_up;

#define OK BF_STATUS_SUCCESS
#define UNKNOWN BF_STATUS_FAILURE_UNKNOWN

void resources_init(void) {
    for (unsigned p = 0; p < CONFIG_PPS; p++) pps[p] = (struct pp){.state = PP_IDLE, .vm = NONE, .vp = NONE, .vps = NONE};
}

int handle_ok(uint64_t handle) {
    return handle >= 1 && handle <= MAX_HANDLES && handles[handle - 1] == 1;
}

int vm_live(uint64_t id) {
    return id < limits.vms && vms[id].state == LIVE;
}

int vp_live(uint64_t id) {
    return id < limits.vps && vps[id].state == LIVE;
}

int vps_live(uint64_t id) {
    return id < limits.vpss && vpss[id].state == LIVE;
}

int vps_local(uint64_t id) {
    return vps_live(id) && vpss[id].pp == current_pp;
}

void exit_log_record(uint16_t vps_id, uint64_t reason, uint64_t info1, uint64_t info2, uint64_t rip) {
    struct vp *vp = &vps[vpss[vps_id].vp];
    vp->log[vp->log_next] = (struct exit_entry){vps_id, reason, info1, info2, rip};
    vp->log_next = (uint16_t)((vp->log_next + 1) % EXIT_LOG);
    if (vp->log_count < EXIT_LOG) vp->log_count++;
}

/* ---- handle ---- */

bf_status_t sys_open_handle(const uint64_t reg[6], uint64_t out[6]) {
    if (reg[0] > 0xFFFFFFFFu) return BF_STATUS_INVALID_PARAMS0; /* a u32 with more bits */
    if (reg[0] != BF_SPEC_ID1_VAL) return BF_STATUS_FAILURE_UNSUPPORTED;
    for (unsigned i = 0; i < MAX_HANDLES; i++) {
        if (handles[i]) continue;
        handles[i] = 1;
        out[0] = i + 1;
        return OK;
    }
    return UNKNOWN;
}

bf_status_t sys_close_handle(const uint64_t reg[6], uint64_t out[6]) {
    (void)out;
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    handles[reg[0] - 1] = 0;
    return OK;
}

/* ---- vm ---- */

static int loaded_anywhere(unsigned what, uint64_t id) {
    for (unsigned p = 0; p < limits.pps; p++) {
        uint16_t v = what == 0 ? pps[p].vm : what == 1 ? pps[p].vp : pps[p].vps;
        if (v == id) return 1;
    }
    return 0;
}

bf_status_t sys_create_vm(const uint64_t reg[6], uint64_t out[6]) {
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    for (uint16_t id = 0; id < limits.vms; id++) {
        if (vms[id].state != FREE) continue;
        vms[id].state = LIVE;
        out[0] = id;
        return OK;
    }
    return UNKNOWN;
}

bf_status_t sys_destroy_vm(const uint64_t reg[6], uint64_t out[6]) {
    (void)out;
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    uint64_t id = reg[1];
    if (!vm_live(id)) return BF_STATUS_INVALID_PARAMS1;
    int in_use = loaded_anywhere(0, id);
    for (unsigned vp = 0; vp < limits.vps; vp++) in_use |= vps[vp].state != FREE && vps[vp].vm == id;
    if (in_use) {
        vms[id].state = ZOMBIE; /* never reused; it keeps what it holds */
        return UNKNOWN;
    }
    vms[id].state = FREE;
    return OK;
}

/* ---- vp ---- */

bf_status_t sys_create_vp(const uint64_t reg[6], uint64_t out[6]) {
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!vm_live(reg[1])) return BF_STATUS_INVALID_PARAMS1;
    for (uint16_t id = 0; id < limits.vps; id++) {
        if (vps[id].state != FREE) continue;
        vps[id].state = LIVE;
        vps[id].vm = (uint16_t)reg[1];
        out[0] = id;
        return OK;
    }
    return UNKNOWN;
}

bf_status_t sys_destroy_vp(const uint64_t reg[6], uint64_t out[6]) {
    (void)out;
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    uint64_t id = reg[1];
    if (!vp_live(id)) return BF_STATUS_INVALID_PARAMS1;
    int in_use = loaded_anywhere(1, id);
    for (unsigned v = 0; v < limits.vpss; v++) in_use |= vpss[v].state != FREE && vpss[v].vp == id;
    if (in_use) {
        vps[id].state = ZOMBIE;
        return UNKNOWN;
    }
    memset(&vps[id], 0, sizeof vps[id]); /* its exit log goes with it */
    return OK;
}

/* ---- vps ---- */

bf_status_t sys_create_vps(const uint64_t reg[6], uint64_t out[6]) {
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!vp_live(reg[1])) return BF_STATUS_INVALID_PARAMS1;
    if (reg[2] >= limits.pps) return BF_STATUS_INVALID_PARAMS2;
    for (uint16_t id = 0; id < limits.vpss; id++) {
        if (vpss[id].state != FREE) continue;
        vpss[id] = (struct vps){.state = LIVE, .vp = (uint16_t)reg[1], .pp = (uint16_t)reg[2]};
        arch_vps_reset(id);
        out[0] = id;
        return OK;
    }
    return UNKNOWN;
}

bf_status_t sys_destroy_vps(const uint64_t reg[6], uint64_t out[6]) {
    (void)out;
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    uint64_t id = reg[1];
    if (!vps_live(id)) return BF_STATUS_INVALID_PARAMS1;
    if (loaded_anywhere(2, id)) {
        vpss[id].state = ZOMBIE;
        return UNKNOWN;
    }
    vpss[id] = (struct vps){.state = FREE, .vp = 0, .pp = 0};
    arch_vps_reset((uint16_t)id); /* a freed slot leaves no trace */
    return OK;
}
