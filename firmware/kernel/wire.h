/* Frames to and from the host over COM2, or through the shared-memory
 * mailbox once the host has moved there (docs/wire-protocol.md). */
#ifndef WIRE_H
#define WIRE_H

#include <stdint.h>
#include "bfx_wire.h"

struct wire_header {
    uint32_t magic;
    uint8_t version;
    uint8_t type;
    uint16_t flags;
    uint32_t seq;
    uint32_t length;
    uint32_t crc;
} __attribute__((packed));

_Static_assert(sizeof(struct wire_header) == BFX_WIRE_HEADER_BYTES, "the header is as the protocol says");

void wire_init(void);
/* after the SHM answer: the next frame, from the mailbox or from COM2, decides the road */
void wire_listen_both(void);
/* the frames travel through the mailbox */
int wire_on_mailbox(void);
/* bytes as they are, framed or not (the garbage mode sends both) */
void wire_send_raw(const void *data, uint32_t n);
void wire_send(uint8_t type, uint32_t seq, const void *payload, uint32_t length);
/* tells the host a frame could not be taken */
void wire_error(uint32_t seq, uint16_t code, const char *text);
/* the next frame: 0 and the frame, or an error code (BFX_WIRE_ERROR_*) with h->seq set when it was read */
unsigned wire_recv(struct wire_header *h, uint8_t *payload);

#endif
