/* The firmware's side of the conversation with the host. */
#ifndef LINK_H
#define LINK_H

#include <stdint.h>

/* the seq of the request being answered (0 between requests): the frames
 * a request causes (CONSOLE, EXIT, FAIL...) carry it */
extern uint32_t link_seq;

void link_hello(void);
_Noreturn void link_serve(void);
_Noreturn void link_garbage(void);

#endif
