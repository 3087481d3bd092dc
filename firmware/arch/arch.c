/* The architecture the processor has, chosen once by its vendor: Intel
 * runs the VMX backend, anything else the SVM one. The arch_* functions
 * that differ go through the backend's table. */
#include "backend.h"
#include "bfx_wire.h"
#include "cpu.h"
#include "crc32.h"

static const struct arch_ops *chosen;

const struct arch_ops *arch_backend(void) {
    if (!chosen) {
        uint32_t r[4];
        cpuid(0, 0, r);
        /* "GenuineIntel" in ebx, edx, ecx */
        int intel = r[1] == 0x756E6547 && r[3] == 0x49656E69 && r[2] == 0x6C65746E;
        chosen = intel ? &vmx_ops : &svm_ops;
    }
    return chosen;
}

int arch_init(char *why, size_t n) { return arch_backend()->init(why, n); }
uint8_t arch_id(void) { return arch_backend()->id; }
int arch_vps_read(uint16_t vps, uint64_t index, unsigned bytes, uint64_t *value) { return arch_backend()->vps_read(vps, index, bytes, value); }
int arch_vps_write(uint16_t vps, uint64_t index, unsigned bytes, uint64_t value) { return arch_backend()->vps_write(vps, index, bytes, value); }
uint64_t arch_reg_read(uint16_t vps, unsigned reg) { return arch_backend()->reg_read(vps, reg); }
void arch_reg_write(uint16_t vps, unsigned reg, uint64_t value) { arch_backend()->reg_write(vps, reg, value); }
void arch_run(uint16_t vps, int promoted, struct arch_event *e) { arch_backend()->run(vps, promoted, e); }
void arch_dump(uint16_t vps, void (*line)(const char *name, uint64_t value)) { arch_backend()->dump(vps, line); }
unsigned arch_selftest(void) { return arch_backend()->selftest(); }

void arch_vps_reset(uint16_t vps) {
    exit_notes[vps] = (struct exit_note){0};
    arch_backend()->vps_reset(vps);
}

uint32_t arch_state_crc(void) {
    uint32_t crc = arch_backend()->state_crc(0);
    return crc32_update(crc, exit_notes, (size_t)CONFIG_VPSS * sizeof(struct exit_note));
}

void arch_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]) {
    cpuid(leaf, subleaf, out);
}

void arch_say(char *why, size_t n, const char *first, const char *second) {
    if (!why || n == 0) return;
    size_t at = 0;
    for (const char *s = first; s && *s && at + 1 < n; s++) why[at++] = *s;
    for (const char *s = second; s && *s && at + 1 < n; s++) why[at++] = *s;
    why[at] = 0;
}

void arch_say_hex(char *why, size_t n, const char *first, uint64_t v) {
    char hex[19] = "0x";
    for (int i = 0; i < 16; i++) hex[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xF];
    hex[18] = 0;
    arch_say(why, n, first, hex);
}
