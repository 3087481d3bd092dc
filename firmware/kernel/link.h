/* The firmware's side of the conversation with the host. */
#ifndef LINK_H
#define LINK_H

#include <stdint.h>

/* the seq of the request being answered (0 between requests): the frames
 * a request causes (CONSOLE, EXIT, FAIL...) carry it */
extern uint32_t link_seq;

/* what the firmware sends instead of its first answer, to show how the
 * host takes a broken firmware (the image's wire-bad mode): 0 nothing */
enum link_lie { LIE_NONE, LIE_JUNK, LIE_CHECKSUM, LIE_TYPE, LIE_LENGTH, LIE_VERSION };
extern enum link_lie link_lie;

void link_hello(void);
_Noreturn void link_serve(void);
_Noreturn void link_garbage(void);

#endif
