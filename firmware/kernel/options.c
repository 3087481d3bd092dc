#include "options.h"
#include "arch.h"
#include "config.h"
#include "exit.h"
#include "serial.h"
#include "string.h"

/* set by options_parse (in .bss, not .data: the image keeps one
 * read-only, executable segment and one writable one) */
struct limits limits;

#define WORD_MAX 128

static const struct {
    const char *name;
    uint16_t *limit;
    uint16_t max;
} sizes[] = {
    {"vms", &limits.vms, CONFIG_VMS},
    {"vps", &limits.vps, CONFIG_VPS},
    {"vpss", &limits.vpss, CONFIG_VPSS},
    {"pages", &limits.pages, CONFIG_PAGES},
    {"pps", &limits.pps, CONFIG_PPS},
};

_Noreturn static void refuse(const char *word, const char *why, uint64_t max) {
    serial_puts("bfx firmware: bad option \"");
    serial_puts(word);
    serial_puts("\": ");
    serial_puts(why);
    if (max) {
        serial_dec(max);
        serial_puts(", the most the image is built for");
    }
    serial_putc('\n');
    exit_emulator(2);
}

/* decimal only, no sign: 0 when s is not a number below 65536 */
static int number(const char *s, uint32_t *n) {
    *n = 0;
    if (!*s) return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return 0;
        *n = *n * 10 + (uint32_t)(*s - '0');
        if (*n > 0xFFFF) return 0;
    }
    return 1;
}

static void option(const char *word) {
    const char *eq = word;
    while (*eq && *eq != '=') eq++;
    if (*eq != '=') refuse(word, "an option is NAME=VALUE; the names are vms, vps, vpss, pages, pps, guest", 0);
    size_t key = (size_t)(eq - word);
    const char *value = eq + 1;
    if (key == 5 && strncmp(word, "guest", 5) == 0) {
        char why[160];
        if (arch_guest_select(value, why, sizeof why) != 0) refuse(word, why, 0);
        return;
    }
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (strlen(sizes[i].name) != key || strncmp(word, sizes[i].name, key) != 0) continue;
        uint32_t n;
        if (!number(value, &n) || n < 1 || n > sizes[i].max) refuse(word, "the value must be a whole number from 1 to ", sizes[i].max);
        *sizes[i].limit = (uint16_t)n;
        return;
    }
    refuse(word, "no option has this name; the names are vms, vps, vpss, pages, pps, guest", 0);
}

void options_parse(const char *args) {
    char word[WORD_MAX];
    limits = (struct limits){CONFIG_VMS, CONFIG_VPS, CONFIG_VPSS, CONFIG_PPS, CONFIG_PAGES};
    while (*args) {
        while (*args == ' ') args++;
        size_t n = 0;
        while (args[n] && args[n] != ' ') n++;
        if (n == 0) break;
        if (n >= WORD_MAX) {
            memcpy(word, args, WORD_MAX - 4);
            memcpy(word + WORD_MAX - 4, "...", 4);
            refuse(word, "longer than any option", 0);
        }
        memcpy(word, args, n);
        word[n] = 0;
        option(word);
        while (*args && *args != ' ') args++;
    }
}
