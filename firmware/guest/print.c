/* The guest's console: a line formatted as the sim's format() does
 * (host/backend/sim/guest/program.ts); print() in insn.h writes it. Templates: {pp}; {rax} (any of rax..rdx, hex); {dec:rax};
 * {sig:rbx,rdx,rcx} (12 characters, as CPUID vendor strings);
 * {bit:rcx:31}; {edx:eax}. */
#include <stddef.h>
#include "insn.h"

static void put(struct line *l, char c) {
    if (l->n < PRINT_MAX) l->text[l->n++] = c;
}

static void put_hex(struct line *l, uint64_t v) {
    char digits[16];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v & 0xF];
        v >>= 4;
    } while (v);
    put(l, '0');
    put(l, 'x');
    while (n) put(l, digits[--n]);
}

static void put_dec(struct line *l, uint64_t v) {
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) put(l, digits[--n]);
}

static int same(const char *a, size_t n, const char *b) {
    size_t i = 0;
    for (; i < n; i++) if (a[i] != b[i] || !b[i]) return 0;
    return b[i] == 0;
}

/* a register named by the n characters at name: rax, rbx, rcx or rdx */
static int reg(const struct regs *r, const char *name, size_t n, uint64_t *v) {
    if (same(name, n, "rax")) *v = r->rax;
    else if (same(name, n, "rbx")) *v = r->rbx;
    else if (same(name, n, "rcx")) *v = r->rcx;
    else if (same(name, n, "rdx")) *v = r->rdx;
    else return 0;
    return 1;
}

static void put_sig(struct line *l, const struct regs *r, const char *names, size_t n) {
    size_t at = 0;
    while (at < n) {
        size_t len = 0;
        while (at + len < n && names[at + len] != ',') len++;
        uint64_t v = 0;
        reg(r, names + at, len, &v);
        for (int i = 0; i < 4; i++) {
            char c = (char)(v >> (8 * i));
            put(l, c >= 0x20 && c <= 0x7E ? c : '.');
        }
        at += len + 1;
    }
}

static uint64_t number(const char *s, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = v * 10 + (uint64_t)(s[i] - '0');
    return v;
}

/* one {spec}: kind[:a[:b]] */
static void put_spec(struct line *l, const struct regs *r, const char *spec, size_t n) {
    const char *part[3] = {spec, 0, 0};
    size_t len[3] = {n, 0, 0};
    for (int p = 0; p < 2; p++) {
        size_t i = 0;
        while (i < len[p] && part[p][i] != ':') i++;
        if (i == len[p]) break;
        part[p + 1] = part[p] + i + 1;
        len[p + 1] = len[p] - i - 1;
        len[p] = i;
    }
    uint64_t v;
    if (same(part[0], len[0], "pp")) put_dec(l, r->pp);
    else if (same(part[0], len[0], "dec") && reg(r, part[1], len[1], &v)) put_dec(l, v);
    else if (same(part[0], len[0], "bit") && reg(r, part[1], len[1], &v)) {
        uint64_t bit = number(part[2], len[2]);
        put(l, bit < 64 && ((v >> bit) & 1) ? '1' : '0');
    }
    else if (same(part[0], len[0], "edx") && same(part[1], len[1], "eax")) put_hex(l, (r->rdx << 32) | (r->rax & 0xFFFFFFFFu));
    else if (same(part[0], len[0], "sig")) put_sig(l, r, part[1], len[1]);
    else if (reg(r, part[0], len[0], &v)) put_hex(l, v);
}

void format_line(const struct regs *r, const char *text, struct line *l) {
    l->n = 0;
    for (const char *p = text; *p; p++) {
        if (*p != '{') {
            put(l, *p);
            continue;
        }
        const char *end = p + 1;
        while (*end && *end != '}') end++;
        if (!*end) break;
        put_spec(l, r, p + 1, (size_t)(end - p - 1));
        p = end;
    }
}
