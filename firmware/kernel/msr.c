#include "msr.h"

extern const uint64_t safe_accesses[], safe_accesses_end[];

uint64_t msr_fixup(uint64_t rip) {
    for (const uint64_t *p = safe_accesses; p < safe_accesses_end; p += 2) {
        if (p[0] == rip) return p[1];
    }
    return 0;
}

/* The real MSRs of this processor, as Bareflank's intrinsics: one the
 * processor refuses (#GP) answers FAILURE_UNKNOWN, as any exception does. */

bf_status_t sys_read_msr(const uint64_t reg[6], uint64_t out[6]) {
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (reg[1] > 0xFFFFFFFFu) return BF_STATUS_INVALID_PARAMS1;
    uint64_t v;
    if (msr_read_safe((uint32_t)reg[1], &v) != 0) return BF_STATUS_FAILURE_UNKNOWN;
    out[0] = v;
    return BF_STATUS_SUCCESS;
}

bf_status_t sys_write_msr(const uint64_t reg[6], uint64_t out[6]) {
    (void)out;
    if (!handle_ok(reg[0])) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (reg[1] > 0xFFFFFFFFu) return BF_STATUS_INVALID_PARAMS1;
    if (msr_write_safe((uint32_t)reg[1], reg[2]) != 0) return BF_STATUS_FAILURE_UNKNOWN;
    return BF_STATUS_SUCCESS;
}
