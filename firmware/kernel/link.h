/* The firmware's side of the conversation with the host. */
#ifndef LINK_H
#define LINK_H

void link_hello(void);
_Noreturn void link_serve(void);
_Noreturn void link_garbage(void);

#endif
