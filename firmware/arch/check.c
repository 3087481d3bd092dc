#include "check.h"
#include "serial.h"

static unsigned tests, failures;

void check(int ok, const char *what) {
    tests++;
    if (!ok) failures++;
    serial_puts(ok ? "PASS: " : "FAIL: ");
    serial_puts(what);
    serial_putc('\n');
}

void check_eq(uint64_t got, uint64_t want, const char *what) {
    check(got == want, what);
    if (got != want) {
        serial_puts("  got ");
        serial_hex(got);
        serial_puts(", want ");
        serial_hex(want);
        serial_putc('\n');
    }
}

unsigned check_summary(void) {
    serial_puts("SUMMARY: ");
    serial_dec(tests);
    serial_puts(" tests, ");
    serial_dec(failures);
    serial_puts(" failures\n");
    return failures;
}
