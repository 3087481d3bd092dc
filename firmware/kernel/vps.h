/* The VPS syscalls after creation (creation is in resources.h). */
#ifndef VPS_H
#define VPS_H

#include "resources.h"

syscall_fn sys_init_as_root, sys_read8, sys_read16, sys_read32, sys_read64;
syscall_fn sys_write8, sys_write16, sys_write32, sys_write64, sys_read_reg, sys_write_reg;
syscall_fn sys_run, sys_run_current, sys_advance_ip, sys_advance_ip_and_run_current, sys_promote;

#endif
