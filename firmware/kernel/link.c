/* The conversation with the host: say hello, then answer frames until the
 * host says bye. Frames the firmware cannot take are answered with an
 * ERROR frame; the link stays up. */
#include "link.h"
#include "arch.h"
#include "config.h"
#include "crc32.h"
#include "exit.h"
#include "options.h"
#include "pages.h"
#include "resources.h"
#include "run.h"
#include "serial.h"
#include "shm.h"
#include "state.h"
#include "string.h"
#include "syscall.h"
#include "wire.h"

uint32_t link_seq;
enum link_lie link_lie;

/* instead of an answer: what the host must refuse to take */
static void lie(uint32_t seq) {
    static const uint8_t junk[] = "this is not a frame";
    struct wire_header h = {.magic = BFX_WIRE_MAGIC, .version = BFX_WIRE_VERSION, .type = BFX_WIRE_SYSCALL_RESULT, .seq = seq, .length = 0, .crc = 0};
    switch (link_lie) {
        case LIE_JUNK: wire_send_raw(junk, sizeof junk - 1); return;
        case LIE_CHECKSUM: h.crc = 0x12345678; break;
        case LIE_TYPE: wire_send(0x7e, seq, 0, 0); return;
        case LIE_LENGTH: h.length = BFX_WIRE_MAX_PAYLOAD + 1; break;
        case LIE_VERSION: h.version = BFX_WIRE_VERSION + 1; break;
        case LIE_NONE: return;
    }
    if (h.crc == 0) h.crc = crc32(&h, BFX_WIRE_CRC_COVERS);
    wire_send_raw(&h, sizeof h);
}

static const char *error_text(unsigned code) {
    switch (code) {
        case BFX_WIRE_ERROR_BAD_CHECKSUM: return "bad checksum";
        case BFX_WIRE_ERROR_BAD_VERSION: return "another protocol version";
        case BFX_WIRE_ERROR_TOO_LONG: return "payload longer than the protocol allows";
        case BFX_WIRE_ERROR_UNKNOWN_TYPE: return "no message has this type";
        case BFX_WIRE_ERROR_BAD_PAYLOAD: return "payload of the wrong size";
        case BFX_WIRE_ERROR_BAD_STATE: return "nothing to do that with now";
        default: return "?";
    }
}

static void refuse(uint32_t seq, unsigned code, const char *text) {
    wire_error(seq, (uint16_t)code, text ? text : error_text(code));
}

void link_hello(void) {
    uint8_t p[10 + sizeof FIRMWARE_NAME];
    uint16_t sizes[4] = {limits.vms, limits.vps, limits.vpss, limits.pages};
    p[0] = arch_id();
    p[1] = (uint8_t)limits.pps;
    memcpy(p + 2, sizes, sizeof sizes);
    memcpy(p + 10, FIRMWARE_NAME, sizeof FIRMWARE_NAME);
    wire_send(BFX_WIRE_HELLO, 0, p, sizeof p);
}

static uint64_t le64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint32_t le32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint16_t le16(const uint8_t *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

/* SYSCALL: u64 rax, u64 reg0..reg5, u16 ppid, 6 zero bytes */
static void on_syscall(const struct wire_header *h, const uint8_t *p) {
    if (h->length != 64) { refuse(h->seq, BFX_WIRE_ERROR_BAD_PAYLOAD, 0); return; }
    uint16_t ppid = le16(p + 56);
    for (unsigned i = 58; i < 64; i++) {
        if (p[i]) { refuse(h->seq, BFX_WIRE_ERROR_BAD_PAYLOAD, "the padding after ppid is not zero"); return; }
    }
    if (ppid >= limits.pps) { refuse(h->seq, BFX_WIRE_ERROR_BAD_PAYLOAD, "no such processor"); return; }
    uint64_t reg[6], out[6];
    for (unsigned i = 0; i < 6; i++) reg[i] = le64(p + 8 + 8 * i);
    current_pp = ppid;
    uint64_t answer[7];
    answer[0] = syscall_dispatch(le64(p), reg, out);
    memcpy(answer + 1, out, sizeof out);
    wire_send(BFX_WIRE_SYSCALL_RESULT, h->seq, answer, sizeof answer);
}

#define RAX(op, idx) (BF_SYSCALL_SIG_VAL | ((uint64_t)(op) << 16) | (idx))
#define RUN_ADVANCE 1u

/* The syscalls an exit handler made that the host answered itself (it knew
 * the answers from the EXIT), made here for real before the guest runs:
 * write_reg of each register, then advance_ip_and_run_current. The host
 * has told the extension they succeeded; one that does not is refused. */
static int run_prelude(const struct wire_header *h, const uint8_t *p, uint16_t ppid) {
    unsigned n = p[5];
    if (h->length != 14u + 9u * n || (p[4] & ~RUN_ADVANCE)) { refuse(h->seq, BFX_WIRE_ERROR_BAD_PAYLOAD, "a RUN prelude of the wrong size or with unknown flags"); return -1; }
    uint64_t reg[6] = {le64(p + 6), le16(p + 2), 0, 0, 0, 0}, out[6];
    current_pp = ppid;
    for (unsigned i = 0; i < n; i++) {
        reg[2] = p[14 + 9 * i];
        reg[3] = le64(p + 15 + 9 * i);
        if (syscall_dispatch(RAX(BF_VPS_OP_VAL, BF_VPS_OP_WRITE_REG_IDX_VAL), reg, out) != BF_STATUS_SUCCESS) {
            refuse(h->seq, BFX_WIRE_ERROR_BAD_STATE, "write_reg in RUN's prelude failed");
            return -1;
        }
    }
    if ((p[4] & RUN_ADVANCE)
        && syscall_dispatch(RAX(BF_VPS_OP_VAL, BF_VPS_OP_ADVANCE_IP_AND_RUN_CURRENT_IDX_VAL), reg, out) != BF_STATUS_SUCCESS) {
        refuse(h->seq, BFX_WIRE_ERROR_BAD_STATE, "advance_ip_and_run_current in RUN's prelude failed");
        return -1;
    }
    return 0;
}

/* RUN: u16 ppid; optionally the prelude: u16 vpsid, u8 flags, u8 n, u64 handle, n x (u8 reg, u64 value) */
static void on_run(const struct wire_header *h, const uint8_t *p) {
    if (h->length != 2 && h->length < 14) { refuse(h->seq, BFX_WIRE_ERROR_BAD_PAYLOAD, 0); return; }
    uint16_t ppid = le16(p);
    if (ppid >= limits.pps) { refuse(h->seq, BFX_WIRE_ERROR_BAD_PAYLOAD, "no such processor"); return; }
    if (h->length > 2 && run_prelude(h, p, ppid) != 0) return;
    if (run_guest(ppid) != 0) refuse(h->seq, BFX_WIRE_ERROR_BAD_STATE, "the processor has nothing to run");
}

static void on_state(const struct wire_header *h) {
    static uint8_t p[BFX_WIRE_MAX_PAYLOAD];
    if (h->length != 0) { refuse(h->seq, BFX_WIRE_ERROR_BAD_PAYLOAD, 0); return; }
    wire_send(BFX_WIRE_STATE, h->seq, p, state_encode(p));
}

static void on_cpuid(const struct wire_header *h, const uint8_t *p) {
    if (h->length != 8) { refuse(h->seq, BFX_WIRE_ERROR_BAD_PAYLOAD, 0); return; }
    uint32_t r[4];
    arch_cpuid(le32(p), le32(p + 4), r);
    wire_send(BFX_WIRE_CPUID, h->seq, r, sizeof r);
}

/* PAGE_WRITE: u64 phys, u16 offset, u16 count, then count bytes */
static void on_page_write(const struct wire_header *h, const uint8_t *p) {
    if (h->length < 12 || h->length != 12u + le16(p + 10)) { refuse(h->seq, BFX_WIRE_ERROR_BAD_PAYLOAD, 0); return; }
    if (pages_write(le64(p), le16(p + 8), p + 12, le16(p + 10)) != 0) {
        refuse(h->seq, BFX_WIRE_ERROR_BAD_PAYLOAD, "not an allocated page, or past its end");
        return;
    }
    wire_send(BFX_WIRE_DONE, h->seq, 0, 0);
}

static int guest_in_flight(void) {
    for (unsigned i = 0; i < limits.pps; i++) {
        if (pps[i].state == PP_READY || pps[i].state == PP_EXITED || pps[i].state == PP_PROMOTE) return 1;
    }
    return 0;
}

static void on_bench_cpuid(const struct wire_header *h, const uint8_t *p) {
    if (h->length != 4) { refuse(h->seq, BFX_WIRE_ERROR_BAD_PAYLOAD, 0); return; }
    if (!arch_up) { refuse(h->seq, BFX_WIRE_ERROR_BAD_STATE, "no virtualization on this processor"); return; }
    /* the bench reloads the root guest's memory: not under a guest the host is running */
    if (guest_in_flight()) { refuse(h->seq, BFX_WIRE_ERROR_BAD_STATE, "a guest is running"); return; }
    uint64_t exits = arch_bench_cpuid(le32(p));
    wire_send(BFX_WIRE_BENCH_CPUID, h->seq, &exits, sizeof exits);
}

/* SHM: u64 nonce; answered on the stream, then the host's next frame says which road it took */
static void on_shm(const struct wire_header *h, const uint8_t *p) {
    if (h->length != 8) { refuse(h->seq, BFX_WIRE_ERROR_BAD_PAYLOAD, 0); return; }
    if (wire_on_mailbox()) { refuse(h->seq, BFX_WIRE_ERROR_BAD_STATE, "the frames travel through the mailbox already"); return; }
    uint8_t answer[16];
    shm_offer(le64(p), answer);
    wire_send(BFX_WIRE_SHM, h->seq, answer, sizeof answer);
    wire_listen_both();
}

_Noreturn void link_serve(void) {
    static uint8_t payload[BFX_WIRE_MAX_PAYLOAD];
    struct wire_header h;
    /* the host's seqs only grow: one not past the last frame taken is a
       repeat (a duplicate, or a frame overtaken on the way), and taking it
       would do its work twice */
    uint32_t taken = 0;
    for (;;) {
        link_seq = 0;
        unsigned err = wire_recv(&h, payload);
        if (err) {
            refuse(h.seq, err, 0);
            continue;
        }
        if (taken != 0 && h.seq <= taken) {
            refuse(h.seq, BFX_WIRE_ERROR_BAD_STATE, "a seq not past the last frame taken: a repeat");
            continue;
        }
        taken = h.seq;
        link_seq = h.seq;
        if (link_lie != LIE_NONE && h.type != BFX_WIRE_HELLO_ACK) {
            lie(h.seq);
            continue;
        }
        switch (h.type) {
            case BFX_WIRE_HELLO_ACK:
                if (h.length != 0) { refuse(h.seq, BFX_WIRE_ERROR_BAD_PAYLOAD, 0); break; }
                serial_puts("bfx firmware: the host answered hello\n");
                break;
            case BFX_WIRE_HEARTBEAT:
                if (h.length != 8) { refuse(h.seq, BFX_WIRE_ERROR_BAD_PAYLOAD, 0); break; }
                wire_send(BFX_WIRE_HEARTBEAT, h.seq, payload, 8);
                break;
            case BFX_WIRE_BYE:
                if (h.length != 0) { refuse(h.seq, BFX_WIRE_ERROR_BAD_PAYLOAD, 0); break; }
                serial_puts("bfx firmware: the host said bye\n");
                exit_emulator(0);
            case BFX_WIRE_SYSCALL: on_syscall(&h, payload); break;
            case BFX_WIRE_RUN: on_run(&h, payload); break;
            case BFX_WIRE_STATE: on_state(&h); break;
            case BFX_WIRE_CPUID: on_cpuid(&h, payload); break;
            case BFX_WIRE_PAGE_WRITE: on_page_write(&h, payload); break;
            case BFX_WIRE_BENCH_CPUID: on_bench_cpuid(&h, payload); break;
            case BFX_WIRE_SHM: on_shm(&h, payload); break;
            default:
                refuse(h.seq, BFX_WIRE_ERROR_UNKNOWN_TYPE, 0);
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
