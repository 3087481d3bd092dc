/* PLACEHOLDER until the kernel half lands: no page is allocated. */
#include "pages.h"

int pages_hold(uint64_t phys, uint64_t bytes) {
    (void)phys;
    (void)bytes;
    return 0;
}
