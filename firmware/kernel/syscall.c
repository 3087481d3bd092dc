#include "syscall.h"
#include "dump.h"
#include "msr.h"
#include "pages.h"
#include "resources.h"
#include "string.h"
#include "vps.h"

#define OP(op, idx) (((uint32_t)(op) << 16) | (idx))

/* every syscall whose `where` is 'kernel' in abi/table.ts; the host answers
 * the others (control, callback, debug out/write_c/write_str) itself */
static syscall_fn *find(uint16_t op, uint16_t idx) {
    switch (OP(op, idx)) {
        case OP(BF_HANDLE_OP_VAL, BF_HANDLE_OP_OPEN_HANDLE_IDX_VAL): return sys_open_handle;
        case OP(BF_HANDLE_OP_VAL, BF_HANDLE_OP_CLOSE_HANDLE_IDX_VAL): return sys_close_handle;
        case OP(BF_DEBUG_OP_VAL, BF_DEBUG_OP_DUMP_VM_IDX_VAL): return sys_dump_vm;
        case OP(BF_DEBUG_OP_VAL, BF_DEBUG_OP_DUMP_VP_IDX_VAL): return sys_dump_vp;
        case OP(BF_DEBUG_OP_VAL, BF_DEBUG_OP_DUMP_VPS_IDX_VAL): return sys_dump_vps;
        case OP(BF_DEBUG_OP_VAL, BF_DEBUG_OP_DUMP_VMEXIT_LOG_IDX_VAL): return sys_dump_vmexit_log;
        case OP(BF_VM_OP_VAL, BF_VM_OP_CREATE_VM_IDX_VAL): return sys_create_vm;
        case OP(BF_VM_OP_VAL, BF_VM_OP_DESTROY_VM_IDX_VAL): return sys_destroy_vm;
        case OP(BF_VP_OP_VAL, BF_VP_OP_CREATE_VP_IDX_VAL): return sys_create_vp;
        case OP(BF_VP_OP_VAL, BF_VP_OP_DESTROY_VP_IDX_VAL): return sys_destroy_vp;
        case OP(BF_VPS_OP_VAL, BF_VPS_OP_CREATE_VPS_IDX_VAL): return sys_create_vps;
        case OP(BF_VPS_OP_VAL, BF_VPS_OP_DESTROY_VPS_IDX_VAL): return sys_destroy_vps;
        case OP(BF_VPS_OP_VAL, BF_VPS_OP_INIT_AS_ROOT_IDX_VAL): return sys_init_as_root;
        case OP(BF_VPS_OP_VAL, BF_VPS_OP_READ8_IDX_VAL): return sys_read8;
        case OP(BF_VPS_OP_VAL, BF_VPS_OP_READ16_IDX_VAL): return sys_read16;
        case OP(BF_VPS_OP_VAL, BF_VPS_OP_READ32_IDX_VAL): return sys_read32;
        case OP(BF_VPS_OP_VAL, BF_VPS_OP_READ64_IDX_VAL): return sys_read64;
        case OP(BF_VPS_OP_VAL, BF_VPS_OP_WRITE8_IDX_VAL): return sys_write8;
        case OP(BF_VPS_OP_VAL, BF_VPS_OP_WRITE16_IDX_VAL): return sys_write16;
        case OP(BF_VPS_OP_VAL, BF_VPS_OP_WRITE32_IDX_VAL): return sys_write32;
        case OP(BF_VPS_OP_VAL, BF_VPS_OP_WRITE64_IDX_VAL): return sys_write64;
        case OP(BF_VPS_OP_VAL, BF_VPS_OP_READ_REG_IDX_VAL): return sys_read_reg;
        case OP(BF_VPS_OP_VAL, BF_VPS_OP_WRITE_REG_IDX_VAL): return sys_write_reg;
        case OP(BF_VPS_OP_VAL, BF_VPS_OP_RUN_IDX_VAL): return sys_run;
        case OP(BF_VPS_OP_VAL, BF_VPS_OP_RUN_CURRENT_IDX_VAL): return sys_run_current;
        case OP(BF_VPS_OP_VAL, BF_VPS_OP_ADVANCE_IP_IDX_VAL): return sys_advance_ip;
        case OP(BF_VPS_OP_VAL, BF_VPS_OP_ADVANCE_IP_AND_RUN_CURRENT_IDX_VAL): return sys_advance_ip_and_run_current;
        case OP(BF_VPS_OP_VAL, BF_VPS_OP_PROMOTE_IDX_VAL): return sys_promote;
        case OP(BF_INTRINSIC_OP_VAL, BF_INTRINSIC_OP_READ_MSR_IDX_VAL): return sys_read_msr;
        case OP(BF_INTRINSIC_OP_VAL, BF_INTRINSIC_OP_WRITE_MSR_IDX_VAL): return sys_write_msr;
        case OP(BF_MEM_OP_VAL, BF_MEM_OP_ALLOC_PAGE_IDX_VAL): return sys_alloc_page;
        case OP(BF_MEM_OP_VAL, BF_MEM_OP_FREE_PAGE_IDX_VAL): return sys_free_page;
        case OP(BF_MEM_OP_VAL, BF_MEM_OP_VIRT_TO_PHYS_IDX_VAL): return sys_virt_to_phys;
        default: return 0;
    }
}

bf_status_t syscall_dispatch(uint64_t rax, const uint64_t reg[6], uint64_t out[6]) {
    memset(out, 0, 6 * sizeof out[0]);
    if ((rax & BF_SYSCALL_SIG_MASK) != BF_SYSCALL_SIG_VAL) return BF_STATUS_FAILURE_UNSUPPORTED;
    if ((rax & BF_SYSCALL_FLAGS_MASK) != 0) return BF_STATUS_FAILURE_UNSUPPORTED;
    syscall_fn *fn = find((uint16_t)((rax & BF_SYSCALL_OP_NOSIG_MASK) >> 16), (uint16_t)(rax & BF_SYSCALL_INDEX_MASK));
    if (!fn) return BF_STATUS_FAILURE_UNSUPPORTED;
    bf_status_t status = fn(reg, out);
    if (status != BF_STATUS_SUCCESS) memset(out, 0, 6 * sizeof out[0]); /* no half answers */
    return status;
}
