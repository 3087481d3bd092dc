/* Multiboot v1 entry: the loader leaves us in 32-bit protected mode with
 * paging off. Identity-map the first GiB with 2 MiB pages, turn on long
 * mode, and call kmain(magic, multiboot_info) in 64-bit code. */

    .set MB_MAGIC, 0x1BADB002
    .set MB_FLAGS, 0x00000003              /* page-align modules, give memory info */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .bss
    .align 4096
pml4:   .skip 4096
pdpt:   .skip 4096
pd:     .skip 4096
stack:  .skip 16384
stack_top:

    .section .rodata
    .align 16
gdt64:
    .quad 0
    .quad 0x00AF9A000000FFFF               /* 0x08: 64-bit code, ring 0 */
    .quad 0x00CF92000000FFFF               /* 0x10: data */
gdt64_end:
gdt64_ptr:
    .word gdt64_end - gdt64 - 1
    .quad gdt64

    .section .text
    .code32
    .global _start
_start:
    cli
    mov $stack_top, %esp
    mov %eax, %edi                         /* the loader's magic */
    mov %ebx, %esi                         /* the multiboot information */

    mov $pdpt, %eax
    or $3, %eax                            /* present, writable */
    mov %eax, pml4
    mov $pd, %eax
    or $3, %eax
    mov %eax, pdpt
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax                         /* present, writable, 2 MiB page */
    mov %eax, pd(, %ecx, 8)
    movl $0, pd + 4(, %ecx, 8)
    inc %ecx
    cmp $512, %ecx
    jne 1b

    mov $pml4, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $(1 << 5), %eax                     /* PAE */
    mov %eax, %cr4
    mov $0xC0000080, %ecx                  /* EFER */
    rdmsr
    or $(1 << 8), %eax                     /* LME */
    wrmsr
    mov %cr0, %eax
    or $0x80000001, %eax                   /* PG, PE */
    mov %eax, %cr0
    lgdt gdt64_ptr
    ljmp $0x08, $long_mode

    .code64
long_mode:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    mov $stack_top, %rsp
    call kmain                             /* edi, esi: magic, info */
2:  cli
    hlt
    jmp 2b

    .section .note.GNU-stack, "", @progbits
