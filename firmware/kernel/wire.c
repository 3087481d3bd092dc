#include "wire.h"
#include "crc32.h"
#include "serial.h"
#include "string.h"

#define WIRE COM2

void wire_init(void) {
    uart_init(WIRE);
}

void wire_send_raw(const void *data, uint32_t n) {
    const uint8_t *p = data;
    while (n--) uart_putc(WIRE, *p++);
}

void wire_send(uint8_t type, uint32_t seq, const void *payload, uint32_t length) {
    struct wire_header h = {
        .magic = BFX_WIRE_MAGIC, .version = BFX_WIRE_VERSION, .type = type, .flags = 0,
        .seq = seq, .length = length, .crc = 0,
    };
    h.crc = crc32_update(crc32(&h, BFX_WIRE_CRC_COVERS), payload, length);
    wire_send_raw(&h, sizeof h);
    wire_send_raw(payload, length);
}

void wire_error(uint32_t seq, uint16_t code, const char *text) {
    uint8_t p[128];
    size_t n = strlen(text);
    if (n > sizeof p - 7) n = sizeof p - 7;
    memcpy(p, &seq, 4);
    memcpy(p + 4, &code, 2);
    memcpy(p + 6, text, n);
    p[6 + n] = 0;
    wire_send(BFX_WIRE_ERROR, 0, p, (uint32_t)(7 + n));
}

unsigned wire_recv(struct wire_header *h, uint8_t *payload) {
    /* find the magic: whatever came before it is not a frame */
    uint32_t window = 0;
    while (window != BFX_WIRE_MAGIC) window = (window >> 8) | ((uint32_t)uart_getc(WIRE) << 24);
    uint8_t *raw = (uint8_t *)h;
    memcpy(raw, &window, 4);
    for (unsigned i = 4; i < sizeof *h; i++) raw[i] = uart_getc(WIRE);
    if (h->version != BFX_WIRE_VERSION) return BFX_WIRE_ERROR_BAD_VERSION;
    if (h->length > BFX_WIRE_MAX_PAYLOAD) return BFX_WIRE_ERROR_TOO_LONG;
    for (uint32_t i = 0; i < h->length; i++) payload[i] = uart_getc(WIRE);
    if (crc32_update(crc32(h, BFX_WIRE_CRC_COVERS), payload, h->length) != h->crc) return BFX_WIRE_ERROR_BAD_CHECKSUM;
    return 0;
}
