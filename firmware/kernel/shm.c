#include "shm.h"
#include "bfx_wire.h"
#include "string.h"

/* in .bss, so in guest RAM: the file the host shares; page-aligned as the protocol says */
static uint8_t mailbox[BFX_MAILBOX_BYTES] __attribute__((aligned(4096)));

/* what this side has read of the down ring, and written to the up ring, in all */
static uint32_t down_tail, up_head;

#define RING BFX_MAILBOX_RING_BYTES
#define UP_DATA (BFX_MAILBOX_OFF_DOWN_DATA + RING)

_Static_assert((RING & (RING - 1)) == 0, "the counters wrap at 2^32: the ring must divide it");

static volatile uint32_t *word(unsigned offset) {
    return (volatile uint32_t *)(mailbox + offset);
}

/* the compiler keeps the bytes and the counter that publishes them in order; x86 keeps stores in order */
static inline void barrier(void) {
    __asm__ volatile("" ::: "memory");
}

void shm_offer(uint64_t nonce, uint8_t answer[16]) {
    memset(mailbox, 0, BFX_MAILBOX_OFF_DOWN_DATA);
    down_tail = up_head = 0;
    uint32_t magic = BFX_MAILBOX_MAGIC, version = BFX_MAILBOX_VERSION, ring = RING;
    memcpy(mailbox + BFX_MAILBOX_OFF_NONCE, &nonce, 8);
    memcpy(mailbox + BFX_MAILBOX_OFF_RING_BYTES, &ring, 4);
    memcpy(mailbox + BFX_MAILBOX_OFF_VERSION, &version, 4);
    barrier();
    /* the magic last: a header with it is whole */
    *word(BFX_MAILBOX_OFF_MAGIC) = magic;
    uint64_t phys = (uint64_t)(uintptr_t)mailbox; /* the image is identity-mapped */
    uint32_t zero = 0;
    memcpy(answer, &phys, 8);
    memcpy(answer + 8, &ring, 4);
    memcpy(answer + 12, &zero, 4);
}

int shm_has_byte(void) {
    return *word(BFX_MAILBOX_OFF_DOWN_HEAD) != down_tail;
}

uint8_t shm_getc(void) {
    uint8_t c;
    shm_read(&c, 1);
    return c;
}

/* Bytes are copied in runs, not one at a time: under TCG every
 * instruction counts, and a frame is a hundred bytes or more. */
void shm_read(void *data, uint32_t n) {
    uint8_t *p = data;
    while (n) {
        uint32_t waiting;
        while ((waiting = *word(BFX_MAILBOX_OFF_DOWN_HEAD) - down_tail) == 0) __asm__ volatile("pause");
        barrier();
        uint32_t at = down_tail % RING, run = n < waiting ? n : waiting;
        if (run > RING - at) run = RING - at;
        memcpy(p, mailbox + BFX_MAILBOX_OFF_DOWN_DATA + at, run);
        p += run;
        n -= run;
        down_tail += run;
        barrier();
        *word(BFX_MAILBOX_OFF_DOWN_TAIL) = down_tail;
    }
}

void shm_write(const void *data, uint32_t n) {
    const uint8_t *p = data;
    while (n) {
        uint32_t room = RING - (up_head - *word(BFX_MAILBOX_OFF_UP_TAIL));
        if (room == 0) {
            /* full: what is written must be seen, or the host never makes room */
            shm_publish();
            __asm__ volatile("pause");
            continue;
        }
        uint32_t at = up_head % RING, run = n < room ? n : room;
        if (run > RING - at) run = RING - at;
        memcpy(mailbox + UP_DATA + at, p, run);
        p += run;
        n -= run;
        up_head += run;
    }
}

int shm_publish(void) {
    barrier();
    *word(BFX_MAILBOX_OFF_UP_HEAD) = up_head;
    /* a store then a load of another place: without a full fence the load
       may pass the store, and a host that set its flag just then would
       miss both the bytes and the doorbell */
    __asm__ volatile("mfence" ::: "memory");
    return *word(BFX_MAILBOX_OFF_HOST_WAITING) != 0;
}
