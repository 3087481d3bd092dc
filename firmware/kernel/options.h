/* The image's command line in wire mode:
 *   wire [vms=N] [vps=N] [vpss=N] [pages=N] [pps=N] [guest=NAME[:ARG]]
 * The pools are sized at build time (config.h); the options lower the
 * limits in effect, which the HELLO reports and every syscall enforces. */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdint.h>

struct limits {
    uint16_t vms, vps, vpss, pps, pages;
};

extern struct limits limits;

/* reads the options after the mode word; a bad one is named on the console
 * and ends the emulator with status 2 */
void options_parse(const char *args);

#endif
