#include "state.h"
#include "arch.h"
#include "options.h"
#include "pages.h"
#include "resources.h"
#include "bfx_wire.h"

_Static_assert(12 + MAX_HANDLES + CONFIG_VMS + 3 * CONFIG_VPS + 5 * CONFIG_VPSS + 7 * CONFIG_PPS + CONFIG_PAGES + 8 <= BFX_WIRE_MAX_PAYLOAD,
               "the largest STATE fits in one frame");

static uint8_t *u8(uint8_t *p, uint8_t v) {
    *p = v;
    return p + 1;
}

static uint8_t *u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return p + 2;
}

static uint8_t *u32(uint8_t *p, uint32_t v) {
    return u16(u16(p, (uint16_t)v), (uint16_t)(v >> 16));
}

uint32_t state_encode(uint8_t *p) {
    uint8_t *at = p;
    at = u16(at, limits.vms);
    at = u16(at, limits.vps);
    at = u16(at, limits.vpss);
    at = u16(at, limits.pps);
    at = u16(at, limits.pages);
    at = u16(at, MAX_HANDLES);
    for (unsigned i = 0; i < MAX_HANDLES; i++) at = u8(at, handles[i]);
    for (unsigned i = 0; i < limits.vms; i++) at = u8(at, vms[i].state);
    for (unsigned i = 0; i < limits.vps; i++) at = u16(u8(at, vps[i].state), vps[i].vm);
    for (unsigned i = 0; i < limits.vpss; i++) at = u16(u16(u8(at, vpss[i].state), vpss[i].vp), vpss[i].pp);
    for (unsigned i = 0; i < limits.pps; i++) at = u16(u16(u16(u8(at, pps[i].state), pps[i].vm), pps[i].vp), pps[i].vps);
    for (unsigned i = 0; i < limits.pages; i++) at = u8(at, pages_allocated(i));
    at = u32(at, arch_state_crc());
    at = u32(at, pages_crc());
    return (uint32_t)(at - p);
}
