/* bf_debug_op_dump_*: the kernel's tables as text, line for line as the
 * reference microkernel prints them, sent as CONSOLE frames. */
#ifndef DUMP_H
#define DUMP_H

#include "resources.h"

syscall_fn sys_dump_vm, sys_dump_vp, sys_dump_vps, sys_dump_vmexit_log;

#endif
