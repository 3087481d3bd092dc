/* Into the guest and back out.
 *
 *   void svm_enter(struct svm_saved *guest, uint64_t vmcb_pa, uint64_t host_save_pa)
 *
 * VMRUN loads and saves rax, rsp, rip, rflags, the segments CS/SS/DS/ES and
 * the control registers; VMLOAD and VMSAVE move the rest of the processor
 * state a guest owns (FS, GS, TR, LDTR, KernelGsBase, STAR, LSTAR, CSTAR,
 * SFMASK, SYSENTER_*), and the other GPRs are swapped here, from and to the
 * saved area (rbx..r15 in bf_reg_t order). #VMEXIT gives back the host's
 * rsp and rax (the VMCB), nothing else. */

    .text
    .code64
    .global svm_enter
svm_enter:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    push %rdi                      /* the guest's saved area, for after the exit */
    push %rdx                      /* the host's VMSAVE area */

    mov %rdx, %rax
    vmsave %rax                    /* the host's own FS, GS, TR... */

    mov %rsi, %rax                 /* the VMCB, for VMLOAD, VMRUN, VMSAVE */
    mov 0(%rdi), %rbx
    mov 8(%rdi), %rcx
    mov 16(%rdi), %rdx
    mov 24(%rdi), %rbp
    mov 32(%rdi), %rsi
    mov 48(%rdi), %r8
    mov 56(%rdi), %r9
    mov 64(%rdi), %r10
    mov 72(%rdi), %r11
    mov 80(%rdi), %r12
    mov 88(%rdi), %r13
    mov 96(%rdi), %r14
    mov 104(%rdi), %r15
    mov 40(%rdi), %rdi

    vmload %rax
    vmrun %rax
    vmsave %rax

    push %rdi                      /* the guest's rdi, to free a register */
    mov 16(%rsp), %rdi             /* the saved area */
    mov %rbx, 0(%rdi)
    mov %rcx, 8(%rdi)
    mov %rdx, 16(%rdi)
    mov %rbp, 24(%rdi)
    mov %rsi, 32(%rdi)
    popq 40(%rdi)
    mov %r8, 48(%rdi)
    mov %r9, 56(%rdi)
    mov %r10, 64(%rdi)
    mov %r11, 72(%rdi)
    mov %r12, 80(%rdi)
    mov %r13, 88(%rdi)
    mov %r14, 96(%rdi)
    mov %r15, 104(%rdi)

    pop %rax
    vmload %rax                    /* the host's own again */
    add $8, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret

    .section .note.GNU-stack, "", @progbits
