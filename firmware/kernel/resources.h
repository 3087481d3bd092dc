/* The kernel's tables: handles, VMs, VPs, VPSs, what each physical
 * processor has loaded, and the exits each VP remembers. Fixed pools sized
 * by config.h; the limits in effect (options.h) may be lower. The rules are
 * the reference microkernel's (host/backend/sim/sim.ts). */
#ifndef RESOURCES_H
#define RESOURCES_H

#include <stdint.h>
#include "bf.h"
#include "config.h"

#define MAX_HANDLES 8
/* exits each VP remembers for dump_vmexit_log, as the sim's EXIT_LOG */
#define EXIT_LOG 16
#define NONE 0xFFFF

enum { FREE, LIVE, ZOMBIE };

/* what a physical processor is doing */
enum {
    PP_IDLE,    /* no guest yet */
    PP_READY,   /* a guest is set to run when the host sends RUN */
    PP_EXITED,  /* the guest exited to the host */
    PP_PROMOTE, /* promote was asked: the guest runs on without a hypervisor */
    PP_DONE,    /* halted, shut down or promoted to its end */
};

struct exit_entry {
    uint64_t vps, reason, info1, info2, rip;
};

struct vm {
    uint8_t state;
};

struct vp {
    uint8_t state;
    uint16_t vm;
    struct exit_entry log[EXIT_LOG];
    uint16_t log_next, log_count;
};

struct vps {
    uint8_t state;
    uint16_t vp, pp;
};

struct pp {
    uint8_t state;
    uint16_t vm, vp, vps; /* NONE when nothing is loaded */
};

extern uint8_t handles[MAX_HANDLES];
extern struct vm vms[CONFIG_VMS];
extern struct vp vps[CONFIG_VPS];
extern struct vps vpss[CONFIG_VPSS];
extern struct pp pps[CONFIG_PPS];

/* the processor the syscall being answered executes on */
extern uint16_t current_pp;
/* whether arch_init succeeded: without it no guest can be entered */
extern int arch_up;

void resources_init(void);

/* IDs arrive as whole registers: one with bits above its 16 is out of range */
int handle_ok(uint64_t handle);
int vm_live(uint64_t id);
int vp_live(uint64_t id);
int vps_live(uint64_t id);
/* a live VPS assigned to the current processor */
int vps_local(uint64_t id);

/* remembers an exit in the log of the VPS's VP */
void exit_log_record(uint16_t vps, uint64_t reason, uint64_t info1, uint64_t info2, uint64_t rip);

/* the syscalls: registers in, outputs in out (zeroed by the caller) */
typedef bf_status_t syscall_fn(const uint64_t reg[6], uint64_t out[6]);

syscall_fn sys_open_handle, sys_close_handle;
syscall_fn sys_create_vm, sys_destroy_vm, sys_create_vp, sys_destroy_vp, sys_create_vps, sys_destroy_vps;

#endif
