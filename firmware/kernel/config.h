/* Sizes fixed at build time: nothing is allocated after boot. The hello
 * tells the host these limits; the pools that enforce them come with the
 * syscall dispatcher. */
#ifndef CONFIG_H
#define CONFIG_H

#define CONFIG_VMS 16
#define CONFIG_VPS 16
#define CONFIG_VPSS 16
#define CONFIG_PAGES 64
#define CONFIG_PPS 1 /* the bootstrap processor only, for now */
#define FIRMWARE_NAME "bfx-firmware 0.1"

#endif
