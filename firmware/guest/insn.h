/* The instructions a hypervisor intercepts, over the registers the sim's
 * scripted guest has (host/backend/sim/guest/program.ts). Every one passes
 * rax..rdx in and takes them back out, so whatever an exit handler writes
 * into them is what the guest goes on with and prints, as in the sim. */
#ifndef GUEST_INSN_H
#define GUEST_INSN_H

#include <stdint.h>

#define COM1 0x3F8

struct regs {
    uint64_t rax, rbx, rcx, rdx;
    uint64_t pp;
};

static inline void do_cpuid(struct regs *r, uint32_t leaf, uint32_t subleaf) {
    r->rax = leaf;
    r->rcx = subleaf;
    __asm__ volatile("cpuid" : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx), "+d"(r->rdx));
}

static inline void do_rdmsr(struct regs *r, uint32_t msr) {
    r->rcx = msr;
    __asm__ volatile("rdmsr" : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx), "+d"(r->rdx));
}

static inline void do_wrmsr(struct regs *r, uint32_t msr, uint64_t value) {
    r->rcx = msr;
    r->rax = value & 0xFFFFFFFFu;
    r->rdx = value >> 32;
    __asm__ volatile("wrmsr" : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx), "+d"(r->rdx) : : "memory");
}

/* OUT imm8, AL: the port must be a constant below 0x100 */
#define do_outb_imm(r, port, value) do {                                              \
        (r)->rax = (value);                                                            \
        __asm__ volatile("outb %%al, %4"                                               \
                         : "+a"((r)->rax), "+b"((r)->rbx), "+c"((r)->rcx), "+d"((r)->rdx) \
                         : "i"(port));                                                 \
    } while (0)

/* IN AL, imm8 */
#define do_inb_imm(r, port) do {                                                      \
        __asm__ volatile("inb %4, %%al"                                                \
                         : "+a"((r)->rax), "+b"((r)->rbx), "+c"((r)->rcx), "+d"((r)->rdx) \
                         : "i"(port));                                                 \
    } while (0)

/* the hypercall: VMMCALL on AMD, VMCALL on Intel (each is #UD on the other) */
static inline void do_hypercall(struct regs *r, uint64_t rax, int intel) {
    r->rax = rax;
    if (intel) __asm__ volatile("vmcall" : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx), "+d"(r->rdx) : : "memory");
    else __asm__ volatile("vmmcall" : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx), "+d"(r->rdx) : : "memory");
}

/* the end of every program: a halt; should a handler resume the guest
 * past it, the guest has run off its code, as the sim's does */
_Noreturn static inline void do_hlt(void) {
    __asm__ volatile("hlt; ud2");
    __builtin_unreachable();
}

/* runaway: off the end of the code, a #UD with no IDT, a triple fault */
_Noreturn static inline void run_off_the_end(void) {
    __asm__ volatile("ud2");
    __builtin_unreachable();
}

#define PRINT_MAX 256 /* as the sim's PRINT_MAX */

struct line {
    char text[PRINT_MAX];
    uint64_t n;
};

/* text with its {templates} filled in from r (print.c) */
void format_line(const struct regs *r, const char *text, struct line *l);

/* The console driver: one REP OUTSB of the line to COM1, so that an
 * extension intercepting COM1 sees one exit per byte. Inlined: each print
 * is an instruction of its own, at its own address, as in the sim. rax and
 * rbx go in and out: an exit handler may change them, as in the sim. */
__attribute__((always_inline)) static inline void print(struct regs *r, const char *text) {
    struct line l;
    format_line(r, text, &l);
    const char *at = l.text;
    uint64_t count = l.n;
    __asm__ volatile("rep outsb"
                     : "+S"(at), "+c"(count), "+a"(r->rax), "+b"(r->rbx)
                     : "d"(COM1)
                     : "memory");
}

#endif
