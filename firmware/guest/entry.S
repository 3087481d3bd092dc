/* The root guest's first instruction, at GUEST_CODE: the firmware puts rip
 * here and rsp at its slot's stack top, and nothing else in registers. */
#include "layout.h"

    .section .text.entry, "ax"
    .code64
    .global _start
_start:
    mov %rsp, %rdi                 /* the slot, for guest_main to find */
    call guest_main
1:  ud2                            /* never returns; a triple fault if it did */
    jmp 1b

    .section .note.GNU-stack, "", @progbits
