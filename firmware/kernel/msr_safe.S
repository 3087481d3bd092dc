/* The safe MSR accessors (msr.h): each faulting instruction has a label and an
 * error path, and safe_accesses pairs them for msr_fixup. */

    .text
    .global msr_read_safe
/* int msr_read_safe(uint32_t msr [edi], uint64_t *value [rsi]) */
msr_read_safe:
    mov %edi, %ecx
read_insn:
    rdmsr
    shl $32, %rdx
    mov %eax, %eax
    or %rdx, %rax
    mov %rax, (%rsi)
    xor %eax, %eax
    ret
read_failed:
    mov $-1, %eax
    ret

    .global msr_write_safe
/* int msr_write_safe(uint32_t msr [edi], uint64_t value [rsi]) */
msr_write_safe:
    mov %edi, %ecx
    mov %esi, %eax
    mov %rsi, %rdx
    shr $32, %rdx
write_insn:
    wrmsr
    xor %eax, %eax
    ret
write_failed:
    mov $-1, %eax
    ret

    .section .rodata
    .align 8
    .global safe_accesses, safe_accesses_end
safe_accesses:
    .quad read_insn, read_failed
    .quad write_insn, write_failed
safe_accesses_end:

    .section .note.GNU-stack, "", @progbits
