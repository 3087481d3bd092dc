/* STATE: the kernel's tables as bytes, for the host to compare (equal
 * bytes, equal state), all little-endian:
 *   u16 vms, vps, vpss, pps, pages, handles   the limits in effect
 *   u8 per handle                             1 open
 *   u8 per VM                                 0 free, 1 live, 2 zombie
 *   per VP:  u8 state, u16 vm
 *   per VPS: u8 state, u16 vp, u16 pp
 *   per PP:  u8 state (0 none, 1 ready, 2 exited, 3 promote, 4 done),
 *            u16 vm, u16 vp, u16 vps (0xFFFF when none)
 *   u8 per page                               1 allocated
 *   u32 arch_state_crc(), u32 CRC-32 of the page pool's contents */
#ifndef STATE_H
#define STATE_H

#include <stdint.h>

/* the payload into p; its length */
uint32_t state_encode(uint8_t *p);

#endif
