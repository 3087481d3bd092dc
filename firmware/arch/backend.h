/* What the two backends (svm/ and vmx/) share, and the table through which
 * arch.c calls the one the processor has. Everything here is below
 * kernel/arch.h: the kernel never sees it. */
#ifndef BACKEND_H
#define BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include "arch.h"
#include "config.h"

/* the pool, and one VPS more that only the bench uses */
#define ARCH_VPSS (CONFIG_VPSS + 1)
#define ARCH_BENCH_VPS CONFIG_VPSS

/* One backend. The arch_* functions that differ between SVM and VMX go
 * through here; the rest (root guest, decoding, advance_ip, bench) are
 * written once over arch_reg_read/arch_reg_write. */
struct arch_ops {
    uint8_t id; /* BFX_WIRE_ARCH_* */
    int (*init)(char *why, size_t n);
    void (*vps_reset)(uint16_t vps);
    int (*vps_read)(uint16_t vps, uint64_t index, unsigned bytes, uint64_t *value);
    int (*vps_write)(uint16_t vps, uint64_t index, unsigned bytes, uint64_t value);
    uint64_t (*reg_read)(uint16_t vps, unsigned reg);
    void (*reg_write)(uint16_t vps, unsigned reg, uint64_t value);
    void (*run)(uint16_t vps, int promoted, struct arch_event *e);
    void (*dump)(uint16_t vps, void (*line)(const char *name, uint64_t value));
    uint32_t (*state_crc)(uint32_t crc);
    unsigned (*selftest)(void);
    /* what init_as_root sets beyond the registers (or 0) */
    void (*root_fields)(uint16_t vps);
    /* the bench: CPUID intercepted on a fresh VPS as an extension would ask */
    void (*intercept_cpuid)(uint16_t vps);
    uint64_t exit_cpuid; /* the exit reason of a CPUID */
};

extern const struct arch_ops svm_ops, vmx_ops;

/* the backend of this processor (arch.c) */
const struct arch_ops *arch_backend(void);

/* ---- small things both backends need ---- */

static inline void wrmsr64(uint32_t msr, uint64_t value) {
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

static inline uint64_t rdmsr64(uint32_t msr) {
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t phys_of(const void *p) {
    return (uint64_t)(uintptr_t)p; /* the firmware runs identity-mapped */
}

/* copies words; the kernel's memcpy goes a byte at a time */
static inline void copy64(void *dst, const void *src, size_t bytes) {
    uint64_t *d = dst;
    const uint64_t *s = src;
    for (size_t i = 0; i < bytes / 8; i++) d[i] = s[i];
}

/* bit n of an intercept bitmap (I/O or MSR), and setting it */
static inline int map_bit(const uint8_t *map, unsigned n) {
    return (map[n / 8] >> (n % 8)) & 1;
}

static inline void map_set(uint8_t *map, unsigned n) {
    map[n / 8] |= (uint8_t)(1u << (n % 8));
}

static inline void fill64(void *dst, uint64_t value, size_t bytes) {
    uint64_t *d = dst;
    for (size_t i = 0; i < bytes / 8; i++) d[i] = value;
}

/* a sentence of two parts into a caller's buffer, cut to fit */
void arch_say(char *why, size_t n, const char *first, const char *second);
/* first, then v as the sim's hex64 writes it (0x and 16 digits) */
void arch_say_hex(char *why, size_t n, const char *first, uint64_t v);

#define EFER_LMA (1ull << 10)
#define CR0_PG (1ull << 31)
#define RFLAGS_DF (1ull << 10)

/* ---- guest memory (memory.c) ---- */

/* the firmware's pointer to guest-physical [gpa, gpa + bytes), or 0 outside guest memory */
void *guest_phys(uint64_t gpa, uint64_t bytes);
/* where guest-physical 0 is in the firmware: nested paging maps the region there */
uint64_t guest_memory_base(void);
/* reads guest memory at a linear address of the VPS's guest, through its
 * own paging: 0, or -1 when some byte is not mapped */
int guest_read(uint16_t vps, uint64_t linear, void *out, unsigned bytes);

/* ---- instructions (decode.c) ---- */

#define MAX_INSN 15
unsigned insn_length(const uint8_t *bytes, unsigned n);
/* the instruction at the guest's rip: its bytes (*n of them could be read) and its length, 0 when unknown */
unsigned decode_at_rip(uint16_t vps, uint8_t bytes[MAX_INSN], unsigned *n);

/* What advance_ip needs of the last exit, kept from when it happened. A
 * string I/O instruction moves on one element per advance, as the sim's. */
struct exit_note {
    uint8_t length;     /* of the instruction that exited; 0: nothing to move past */
    uint8_t string;     /* a string I/O instruction: one element per advance */
    uint8_t rep;
    uint8_t size;       /* bytes per element */
    uint8_t addr_bytes; /* rsi/rcx width */
    uint8_t input;      /* INS (moves rdi) rather than OUTS (moves rsi) */
    uint8_t zero[2];
};

extern struct exit_note exit_notes[ARCH_VPSS];

/* an intercepted OUTS: the element it writes put in al, where an OUT has it (as the sim does) */
void outs_element(uint16_t vps, unsigned size);

/* ---- the guest's console (console.c) ---- */

#define CONSOLE_PORT 0x3F8
/* a guest's OUT or (REP) OUTS of bytes to CONSOLE_PORT that no extension
 * intercepts, written out by the firmware; rsi and rcx moved past what was
 * written. 0, or -1 when a byte was not in guest memory (the rest left for
 * the guest to fault on). The caller moves rip past the instruction. */
int console_write(uint16_t vps, int string, int rep);

/* ---- the root guest (root.c) ---- */

/* loads the root guest into a slot of guest memory and its state into a VPS */
void root_load(uint16_t vps, unsigned slot, uint64_t ppid, uint32_t scenario, uint64_t arg);

#endif
