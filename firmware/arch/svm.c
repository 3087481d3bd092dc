/* PLACEHOLDER until the SVM half lands: links, does nothing. */
#include "arch.h"
#include "bfx_wire.h"

int arch_init(char *why, size_t n) { (void)why; (void)n; return -1; }
uint8_t arch_id(void) { return BFX_WIRE_ARCH_AMD; }
void arch_vps_reset(uint16_t vps) { (void)vps; }
int arch_vps_read(uint16_t vps, uint64_t index, unsigned bytes, uint64_t *value) { (void)vps; (void)index; (void)bytes; *value = 0; return -1; }
int arch_vps_write(uint16_t vps, uint64_t index, unsigned bytes, uint64_t value) { (void)vps; (void)index; (void)bytes; (void)value; return -1; }
uint64_t arch_reg_read(uint16_t vps, unsigned reg) { (void)vps; (void)reg; return 0; }
void arch_reg_write(uint16_t vps, unsigned reg, uint64_t value) { (void)vps; (void)reg; (void)value; }
int arch_guest_select(const char *spec, char *why, size_t n) { (void)spec; (void)why; (void)n; return 0; }
void arch_init_root(uint16_t vps, uint16_t ppid) { (void)vps; (void)ppid; }
void arch_advance_ip(uint16_t vps) { (void)vps; }
void arch_run(uint16_t vps, int promoted, struct arch_event *e) { (void)vps; (void)promoted; e->kind = ARCH_SHUTDOWN; e->why = "no SVM yet"; }
void arch_dump(uint16_t vps, void (*line)(const char *name, uint64_t value)) { (void)vps; (void)line; }
void arch_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]) { (void)leaf; (void)subleaf; out[0] = out[1] = out[2] = out[3] = 0; }
uint64_t arch_bench_cpuid(uint32_t n) { (void)n; return 0; }
uint32_t arch_state_crc(void) { return 0; }
unsigned arch_selftest(void) { return 1; }
