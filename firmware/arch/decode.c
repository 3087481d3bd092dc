/* Instruction lengths without the processor's help, for both backends:
 * QEMU's TCG saves no next RIP (nRIP) and no instruction bytes, so SVM
 * decodes the length of the instruction that exited from guest memory; VMX
 * reports it. Either way it is noted when the exit happens (exit_notes),
 * for advance_ip, as the sim keeps its exit length. A string I/O
 * instruction moves on one element per advance_ip, as the sim's does. */
#include "backend.h"
#include "bf.h"
#include "bfx_wire.h"

struct exit_note exit_notes[ARCH_VPSS];

/* bytes of a ModRM operand (the ModRM byte, SIB, displacement), 32/64-bit addressing */
static unsigned modrm_length(const uint8_t *b, unsigned n) {
    if (n < 1) return 0;
    unsigned mod = b[0] >> 6, rm = b[0] & 7, len = 1;
    if (mod == 3) return len;
    if (rm == 4) {
        if (n < 2) return 0;
        if (mod == 0 && (b[1] & 7) == 5) len += 4; /* SIB with no base: disp32 */
        len++;
    }
    if (mod == 0 && rm == 5) len += 4; /* disp32 (RIP-relative in 64-bit code) */
    else if (mod == 1) len += 1;
    else if (mod == 2) len += 4;
    return len <= n ? len : 0;
}

/* the length of the instruction at bytes (n of them readable), for the
 * instructions an intercept can exit on; 0 when it is not one of those */
static unsigned length_of(const uint8_t *b, unsigned n, int long_mode) {
    unsigned p = 0;
    for (; p < n && p < MAX_INSN; p++) { /* legacy prefixes, then REX in 64-bit code */
        uint8_t c = b[p];
        if (c == 0x26 || c == 0x2E || c == 0x36 || c == 0x3E || c == 0x64 || c == 0x65 || c == 0x66 ||
            c == 0x67 || c == 0xF0 || c == 0xF2 || c == 0xF3) continue;
        if (long_mode && (c & 0xF0) == 0x40) continue;
        break;
    }
    if (p >= n) return 0;
    unsigned len = 0;
    const uint8_t *op = b + p;
    unsigned left = n - p;
    switch (op[0]) {
    case 0xF4: /* hlt */
    case 0xEC: case 0xED: case 0xEE: case 0xEF: /* in/out through dx */
    case 0x6C: case 0x6D: case 0x6E: case 0x6F: /* ins/outs */
    case 0x90: /* pause (with F3) */
    case 0xF1: /* icebp */
    case 0xCC: /* int3 */
    case 0xCF: /* iret */
    case 0x9C: case 0x9D: /* pushf, popf */
        len = 1;
        break;
    case 0xE4: case 0xE5: case 0xE6: case 0xE7: /* in/out with an immediate port */
    case 0xCD: /* int imm8 */
        len = 2;
        break;
    case 0x0F:
        if (left < 2) return 0;
        switch (op[1]) {
        case 0xA2: /* cpuid */
        case 0x30: case 0x31: case 0x32: case 0x33: /* wrmsr, rdtsc, rdmsr, rdpmc */
        case 0x08: case 0x09: /* invd, wbinvd */
        case 0xAA: /* rsm */
        case 0x06: /* clts */
            len = 2;
            break;
        case 0x01: /* vmmcall, vmrun, vmload, vmsave, stgi, clgi, skinit, invlpga, monitor, mwait, rdtscp, xsetbv; invlpg, lgdt... */
        case 0x00:
        case 0x20: case 0x21: case 0x22: case 0x23: { /* mov to and from CR/DR */
            unsigned m = modrm_length(op + 2, left - 2);
            if (!m) return 0;
            len = 2 + m;
            break;
        }
        default:
            return 0;
        }
        break;
    default:
        return 0;
    }
    return p + len <= n && p + len <= MAX_INSN ? p + len : 0;
}

unsigned insn_length(const uint8_t *bytes, unsigned n) {
    return length_of(bytes, n, 1);
}

/* CS.L: bit 9 of AMD's packed attributes, bit 13 of Intel's access rights */
static int cs_long(uint16_t vps) {
    uint64_t attributes = arch_reg_read(vps, bf_reg_t_cs_attributes);
    return (attributes >> (arch_id() == BFX_WIRE_ARCH_AMD ? 9 : 13)) & 1;
}

/* the bytes at the guest's rip: up to MAX_INSN, fewer at the end of its memory */
static unsigned fetch(uint16_t vps, uint8_t *b, int *long_mode) {
    uint64_t rip = arch_reg_read(vps, bf_reg_t_rip);
    *long_mode = (arch_reg_read(vps, bf_reg_t_ia32_efer) & EFER_LMA) && cs_long(vps);
    uint64_t linear = *long_mode ? rip : arch_reg_read(vps, bf_reg_t_cs_base_addr) + (rip & 0xFFFFFFFFu);
    unsigned first = 4096 - (unsigned)(linear & 4095);
    if (first > MAX_INSN) first = MAX_INSN;
    if (guest_read(vps, linear, b, first) != 0) return 0;
    if (first < MAX_INSN && guest_read(vps, linear + first, b + first, MAX_INSN - first) == 0) return MAX_INSN;
    return first;
}

unsigned decode_at_rip(uint16_t vps, uint8_t bytes[MAX_INSN], unsigned *n) {
    int long_mode;
    *n = fetch(vps, bytes, &long_mode);
    return length_of(bytes, *n, long_mode);
}

/* a string instruction's index or count register, at its address size */
static uint64_t step(uint64_t reg, int64_t by, unsigned addr_bytes) {
    uint64_t moved = reg + (uint64_t)by;
    if (addr_bytes == 8) return moved;
    if (addr_bytes == 4) return moved & 0xFFFFFFFFu;
    return (reg & ~0xFFFFull) | (moved & 0xFFFF);
}

static uint64_t counter(uint64_t reg, unsigned addr_bytes) {
    return addr_bytes == 8 ? reg : addr_bytes == 4 ? reg & 0xFFFFFFFFu : reg & 0xFFFF;
}

void arch_advance_ip(uint16_t vps) {
    struct exit_note *note = &exit_notes[vps];
    if (note->string) {
        unsigned index = note->input ? bf_reg_t_rdi : bf_reg_t_rsi; /* INS writes at rdi, OUTS reads at rsi */
        int64_t by = (arch_reg_read(vps, bf_reg_t_rflags) & RFLAGS_DF) ? -(int64_t)note->size : note->size;
        arch_reg_write(vps, index, step(arch_reg_read(vps, index), by, note->addr_bytes));
        if (note->rep) {
            uint64_t rcx = step(arch_reg_read(vps, bf_reg_t_rcx), -1, note->addr_bytes);
            arch_reg_write(vps, bf_reg_t_rcx, rcx);
            if (counter(rcx, note->addr_bytes) != 0) return; /* more elements: the same instruction again */
        }
        note->string = 0;
    }
    arch_reg_write(vps, bf_reg_t_rip, arch_reg_read(vps, bf_reg_t_rip) + note->length);
}

void outs_element(uint16_t vps, unsigned size) {
    uint64_t element = 0;
    if (guest_read(vps, arch_reg_read(vps, bf_reg_t_rsi), &element, size) != 0) return;
    uint64_t mask = size == 4 ? 0xFFFFFFFFull : size == 2 ? 0xFFFFull : 0xFFull;
    arch_reg_write(vps, bf_reg_t_rax, (arch_reg_read(vps, bf_reg_t_rax) & ~mask) | element);
}
