#include "wire.h"
#include "cpu.h"
#include "crc32.h"
#include "serial.h"
#include "shm.h"
#include "string.h"

#define WIRE COM2

/* the road the frames take: COM2, or the mailbox once the host has moved
 * there; between SHM and the host's next frame, either (that frame decides) */
static enum { VIA_UART, VIA_EITHER, VIA_SHM } via = VIA_UART;

void wire_init(void) {
    uart_init(WIRE);
}

void wire_listen_both(void) {
    via = VIA_EITHER;
}

int wire_on_mailbox(void) {
    return via == VIA_SHM;
}

static uint8_t rx(void) {
    if (via == VIA_SHM) return shm_getc();
    if (via == VIA_UART) return uart_getc(WIRE);
    for (;;) {
        if (shm_has_byte()) { via = VIA_SHM; return shm_getc(); }
        if (inb(WIRE + 5) & 0x01) { via = VIA_UART; return inb(WIRE); }
        __asm__ volatile("pause");
    }
}

/* n bytes from whichever road: the mailbox copies them in runs */
static void rx_block(void *data, uint32_t n) {
    if (via == VIA_SHM) { shm_read(data, n); return; }
    uint8_t *p = data;
    while (n--) *p++ = rx();
}

static void tx(const void *data, uint32_t n) {
    if (via == VIA_SHM) { shm_write(data, n); return; }
    const uint8_t *p = data;
    while (n--) uart_putc(WIRE, *p++);
}

/* the bytes written are the host's to read now; a host asleep gets the doorbell, a byte on COM2 */
static void flush(void) {
    if (via == VIA_SHM && shm_publish()) uart_putc(WIRE, 0);
}

void wire_send_raw(const void *data, uint32_t n) {
    tx(data, n);
    flush();
}

void wire_send(uint8_t type, uint32_t seq, const void *payload, uint32_t length) {
    struct wire_header h = {
        .magic = BFX_WIRE_MAGIC, .version = BFX_WIRE_VERSION, .type = type, .flags = 0,
        .seq = seq, .length = length, .crc = 0,
    };
    h.crc = crc32_update(crc32(&h, BFX_WIRE_CRC_COVERS), payload, length);
    tx(&h, sizeof h);
    tx(payload, length);
    flush();
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
    uint32_t window;
    rx_block(&window, 4);
    while (window != BFX_WIRE_MAGIC) window = (window >> 8) | ((uint32_t)rx() << 24);
    uint8_t *raw = (uint8_t *)h;
    memcpy(raw, &window, 4);
    rx_block(raw + 4, sizeof *h - 4);
    if (h->version != BFX_WIRE_VERSION) return BFX_WIRE_ERROR_BAD_VERSION;
    if (h->length > BFX_WIRE_MAX_PAYLOAD) return BFX_WIRE_ERROR_TOO_LONG;
    rx_block(payload, h->length);
    if (crc32_update(crc32(h, BFX_WIRE_CRC_COVERS), payload, h->length) != h->crc) return BFX_WIRE_ERROR_BAD_CHECKSUM;
    return 0;
}
