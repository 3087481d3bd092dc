#include "idt.h"
#include <stdint.h>
#include "exit.h"
#include "link.h"
#include "msr.h"
#include "serial.h"
#include "string.h"
#include "wire.h"

#define VECTORS 32
#define CODE_SELECTOR 0x08   /* boot/entry.S's 64-bit code segment */
#define INTERRUPT_GATE 0x8E  /* present, ring 0, interrupts off on entry */
#define EXIT_EXCEPTION 3

struct gate {
    uint16_t offset_low, selector;
    uint8_t ist, type;
    uint16_t offset_mid;
    uint32_t offset_high, zero;
} __attribute__((packed));

/* what isr.S pushed, lowest address first */
struct isr_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rdi, rsi, rbp, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

extern const uint64_t isr_stubs[VECTORS];
static struct gate idt[VECTORS] __attribute__((aligned(16)));

void idt_init(void) {
    for (unsigned v = 0; v < VECTORS; v++) {
        uint64_t at = isr_stubs[v];
        idt[v] = (struct gate){
            .offset_low = (uint16_t)at, .selector = CODE_SELECTOR, .ist = 0, .type = INTERRUPT_GATE,
            .offset_mid = (uint16_t)(at >> 16), .offset_high = (uint32_t)(at >> 32), .zero = 0,
        };
    }
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr = {sizeof idt - 1, (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

static const char *const names[VECTORS] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound range",
    "#UD invalid opcode", "#NM no math coprocessor", "#DF double fault", "coprocessor segment overrun",
    "#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved (15)", "#MF x87 error", "#AC alignment check", "#MC machine check",
    "#XM SIMD error", "#VE virtualization exception", "#CP control protection",
    "reserved (22)", "reserved (23)", "reserved (24)", "reserved (25)", "reserved (26)", "reserved (27)",
    "#HV hypervisor injection", "#VC VMM communication", "#SX security exception", "reserved (31)",
};

void isr_dispatch(struct isr_frame *f);

void isr_dispatch(struct isr_frame *f) {
    uint64_t resume = msr_fixup(f->rip);
    if (resume) {
        f->rip = resume;
        return;
    }
    const char *name = names[f->vector % VECTORS];
    serial_puts("bfx firmware: exception ");
    serial_puts(name);
    serial_puts(", error code ");
    serial_hex(f->error);
    serial_puts(", at rip ");
    serial_hex(f->rip);
    serial_puts("; the firmware stops\n");

    uint8_t p[24 + 64];
    uint64_t head[3] = {f->vector, f->error, f->rip};
    memcpy(p, head, sizeof head);
    size_t n = strlen(name);
    memcpy(p + 24, name, n + 1);
    wire_send(BFX_WIRE_FAIL, link_seq, p, (uint32_t)(24 + n + 1));
    exit_emulator(EXIT_EXCEPTION);
}
