/* The shared-memory mailbox: two byte rings in the firmware's own memory,
 * which QEMU shares with the host as a file (docs/wire-protocol.md, "The
 * shared-memory transport"). The frames are the stream's; only the bytes'
 * road differs. */
#ifndef SHM_H
#define SHM_H

#include <stdint.h>

/* writes the header (with the host's nonce, every counter 0) and fills the
 * SHM answer: u64 guest-physical address, u32 ring bytes, u32 0 */
void shm_offer(uint64_t nonce, uint8_t answer[16]);
/* a byte waits in the down ring */
int shm_has_byte(void);
/* the next byte of the down ring, waiting for it */
uint8_t shm_getc(void);
/* the next n bytes of the down ring, waiting for them */
void shm_read(void *data, uint32_t n);
/* bytes into the up ring, waiting for room; the host sees them at shm_publish */
void shm_write(const void *data, uint32_t n);
/* moves the up head past what was written; 1 when the host sleeps and wants a doorbell */
int shm_publish(void);

#endif
