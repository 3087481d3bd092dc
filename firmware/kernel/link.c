/* The conversation with the host: say hello, then answer frames until the
 * host says bye. Frames the firmware cannot take are answered with an
 * ERROR frame; the link stays up. */
#include "link.h"
#include "config.h"
#include "exit.h"
#include "serial.h"
#include "string.h"
#include "wire.h"

static const char *error_text(unsigned code) {
    switch (code) {
        case BFX_WIRE_ERROR_BAD_CHECKSUM: return "bad checksum";
        case BFX_WIRE_ERROR_BAD_VERSION: return "another protocol version";
        case BFX_WIRE_ERROR_TOO_LONG: return "payload longer than the protocol allows";
        case BFX_WIRE_ERROR_UNKNOWN_TYPE: return "no message has this type";
        case BFX_WIRE_ERROR_BAD_PAYLOAD: return "payload of the wrong size";
        default: return "?";
    }
}

void link_hello(void) {
    uint8_t p[10 + sizeof FIRMWARE_NAME];
    uint16_t limits[4] = {CONFIG_VMS, CONFIG_VPS, CONFIG_VPSS, CONFIG_PAGES};
    p[0] = BFX_WIRE_ARCH_AMD;
    p[1] = CONFIG_PPS;
    memcpy(p + 2, limits, sizeof limits);
    memcpy(p + 10, FIRMWARE_NAME, sizeof FIRMWARE_NAME);
    wire_send(BFX_WIRE_HELLO, 0, p, sizeof p);
}

_Noreturn void link_serve(void) {
    static uint8_t payload[BFX_WIRE_MAX_PAYLOAD];
    struct wire_header h;
    for (;;) {
        unsigned err = wire_recv(&h, payload);
        if (err) {
            wire_error(h.seq, (uint16_t)err, error_text(err));
            continue;
        }
        switch (h.type) {
            case BFX_WIRE_HELLO_ACK:
                if (h.length != 0) { wire_error(h.seq, BFX_WIRE_ERROR_BAD_PAYLOAD, error_text(BFX_WIRE_ERROR_BAD_PAYLOAD)); break; }
                serial_puts("bfx firmware: the host answered hello\n");
                break;
            case BFX_WIRE_HEARTBEAT:
                if (h.length != 8) { wire_error(h.seq, BFX_WIRE_ERROR_BAD_PAYLOAD, error_text(BFX_WIRE_ERROR_BAD_PAYLOAD)); break; }
                wire_send(BFX_WIRE_HEARTBEAT, h.seq, payload, 8);
                break;
            case BFX_WIRE_BYE:
                serial_puts("bfx firmware: the host said bye\n");
                exit_emulator(0);
            default:
                wire_error(h.seq, BFX_WIRE_ERROR_UNKNOWN_TYPE, error_text(BFX_WIRE_ERROR_UNKNOWN_TYPE));
        }
    }
}

_Noreturn void link_garbage(void) {
    /* bytes that are no frame, then a frame whose checksum is wrong */
    static const uint8_t junk[] = "this is not a frame";
    struct wire_header h = {.magic = BFX_WIRE_MAGIC, .version = BFX_WIRE_VERSION, .type = BFX_WIRE_HELLO, .length = 0, .crc = 0x12345678};
    wire_send_raw(junk, sizeof junk - 1);
    wire_send_raw(&h, sizeof h);
    for (;;) __asm__ volatile("pause");
}
