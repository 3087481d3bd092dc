/* The archtest's checks, printed as kvm-unit-tests print them: a
 * PASS/FAIL line each, and a SUMMARY line at the end. */
#ifndef CHECK_H
#define CHECK_H

#include <stdint.h>

void check(int ok, const char *what);
/* a FAIL also says what was got and what was wanted */
void check_eq(uint64_t got, uint64_t want, const char *what);
/* prints the SUMMARY line; the number that failed */
unsigned check_summary(void);

#endif
