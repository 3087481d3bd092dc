/* Into the guest and back out.
 *
 *   int vmx_enter(struct vmx_saved *guest, int launched)
 *
 * VM entry and exit switch rsp, rip, rflags, the segments and control
 * registers through the VMCS; the GPRs and CR2 are swapped here, from and
 * to the saved area (rax..r15 in bf_reg_t order, then cr2). The host's rsp
 * is written into the VMCS just before entering, so that the exit comes
 * back on this very stack, at vmx_exit_entry. Returns 0 after a VM exit,
 * 1 when VMLAUNCH or VMRESUME failed (the VM-instruction error says why). */

    .text
    .code64
    .global vmx_enter
    .global vmx_exit_entry
vmx_enter:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    push %rdi                      /* the guest's saved area, for after the exit */

    mov $0x6C14, %rax              /* HOST_RSP */
    vmwrite %rsp, %rax

    mov 120(%rdi), %rax            /* cr2 */
    mov %rax, %cr2
    mov %esi, %eax                 /* launched? kept in the flags across the loads */
    test %eax, %eax

    mov 0(%rdi), %rax
    mov 8(%rdi), %rbx
    mov 16(%rdi), %rcx
    mov 24(%rdi), %rdx
    mov 32(%rdi), %rbp
    mov 40(%rdi), %rsi
    mov 56(%rdi), %r8
    mov 64(%rdi), %r9
    mov 72(%rdi), %r10
    mov 80(%rdi), %r11
    mov 88(%rdi), %r12
    mov 96(%rdi), %r13
    mov 104(%rdi), %r14
    mov 112(%rdi), %r15
    mov 48(%rdi), %rdi             /* mov leaves the flags alone */

    jnz 1f
    vmlaunch
    jmp 2f
1:  vmresume
2:  /* entry failed: the host's registers are the guest's now; only the stack is ours */
    pop %rdi
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    mov $1, %eax
    ret

vmx_exit_entry:
    push %rdi                      /* the guest's rdi, to free a register */
    mov 8(%rsp), %rdi              /* the saved area */
    mov %rax, 0(%rdi)
    mov %rbx, 8(%rdi)
    mov %rcx, 16(%rdi)
    mov %rdx, 24(%rdi)
    mov %rbp, 32(%rdi)
    mov %rsi, 40(%rdi)
    popq 48(%rdi)
    mov %r8, 56(%rdi)
    mov %r9, 64(%rdi)
    mov %r10, 72(%rdi)
    mov %r11, 80(%rdi)
    mov %r12, 88(%rdi)
    mov %r13, 96(%rdi)
    mov %r14, 104(%rdi)
    mov %r15, 112(%rdi)
    mov %cr2, %rax
    mov %rax, 120(%rdi)

    add $8, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    xor %eax, %eax
    ret

    .section .note.GNU-stack, "", @progbits
