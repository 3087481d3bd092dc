/* The firmware's entry in C. For now it brings up the console and reports
 * what the processor offers; the command line chooses a mode:
 *   hello      say hello and end with status 0 (the default)
 *   selftest   check long mode and the virtualization features, one
 *              PASS/FAIL/SKIP line each, as kvm-unit-tests print them
 *   fail       end with status 1
 *   hang       never end (for the harness's time limit)
 *   crash      triple-fault (for the harness's crash detection)
 *   wire [vms=N] [vps=N] [vpss=N] [pages=N] [pps=N] [guest=NAME[:ARG]]
 *              bring up the architecture, say hello to the host over COM2
 *              and answer its frames (the options: kernel/options.h)
 *   wire-silent    open COM2 but never say hello (for the host's handshake limit)
 *   wire-garbage   send the host bytes that are no frame, then a bad frame
 *   wire-fault     say hello, then take an exception (#UD) in the firmware:
 *              the FAIL frame, and status 3
 *   wire-bad WHAT  say hello, then answer the first request with what is no
 *              answer: junk, checksum (a bad CRC), type (an unknown message
 *              type), length (past the protocol's limit), version
 *   archtest   the architecture's own checks (arch/selftest.c), PASS/FAIL lines
 */
#include <stdint.h>
#include "arch.h"
#include "cpu.h"
#include "exit.h"
#include "idt.h"
#include "link.h"
#include "multiboot.h"
#include "options.h"
#include "resources.h"
#include "serial.h"
#include "string.h"
#include "wire.h"

static unsigned failures;
static unsigned tests;

static void report(const char *result, const char *what) {
    serial_puts(result);
    serial_puts(": ");
    serial_puts(what);
    serial_putc('\n');
}

static void check(int ok, const char *what) {
    tests++;
    if (!ok) failures++;
    report(ok ? "PASS" : "FAIL", what);
}

static int vendor_is(const char *vendor) {
    uint32_t r[4];
    char v[13];
    cpuid(0, 0, r);
    memcpy(v, &r[1], 4);
    memcpy(v + 4, &r[3], 4);
    memcpy(v + 8, &r[2], 4);
    v[12] = 0;
    return strcmp(v, vendor) == 0;
}

static void selftest(void) {
    uint32_t r[4];
    check((rdmsr(0xC0000080) >> 10) & 1, "long mode is active (EFER.LMA)");
    if (vendor_is("AuthenticAMD")) {
        cpuid(0x80000001, 0, r);
        check((r[2] >> 2) & 1, "SVM is offered (CPUID 0x80000001 ECX bit 2)");
        cpuid(0x8000000A, 0, r);
        check(r[0] >= 1 && r[1] >= 1, "SVM revision and ASIDs (CPUID 0x8000000A)");
        check(r[3] & 1, "nested paging is offered (CPUID 0x8000000A EDX bit 0)");
        report("SKIP", "VMX (not an Intel processor)");
    } else {
        cpuid(1, 0, r);
        check((r[2] >> 5) & 1, "VMX is offered (CPUID 1 ECX bit 5)");
        report("SKIP", "SVM (not an AMD processor)");
    }
    serial_puts("SUMMARY: ");
    serial_dec(tests);
    serial_puts(" tests, ");
    serial_dec(failures);
    serial_puts(" failures\n");
    exit_emulator(failures ? 1 : 0);
}

/* the words of the command line after the first, which names the image */
static const char *mode_of(const char *cmdline) {
    const char *p = cmdline;
    while (*p && *p != ' ') p++;
    while (*p == ' ') p++;
    return p;
}

static int starts_with_word(const char *s, const char *word) {
    size_t n = strlen(word);
    return strncmp(s, word, n) == 0 && (s[n] == 0 || s[n] == ' ');
}

/* the words after the mode's own */
static const char *args_of(const char *mode) {
    while (*mode && *mode != ' ') mode++;
    return mode;
}

_Noreturn static void wire_mode(const char *args) {
    options_parse(args);
    resources_init();
    char why[160] = "";
    arch_up = arch_init(why, sizeof why) == 0;
    if (!arch_up) {
        /* the link still serves: the tables, pages and MSRs need no guest */
        serial_puts("bfx firmware: no virtualization: ");
        serial_puts(why[0] ? why : "the architecture gave no reason");
        serial_puts("; nothing can run a guest\n");
    }
    wire_init();
    link_hello();
    serial_puts("bfx firmware: said hello on COM2\n");
    link_serve();
}

void kmain(uint32_t magic, uint32_t info);

void kmain(uint32_t magic, uint32_t info) {
    serial_init();
    idt_init();
    const char *cmdline = "";
    if (magic == MULTIBOOT_BOOTLOADER_MAGIC) {
        const struct multiboot_info *mb = (const struct multiboot_info *)(uintptr_t)info;
        if (mb->flags & MULTIBOOT_INFO_CMDLINE) cmdline = (const char *)(uintptr_t)mb->cmdline;
    }
    const char *mode = mode_of(cmdline);
    serial_puts("bfx firmware: in long mode; command line \"");
    serial_puts(mode);
    serial_puts("\"\n");

    if (*mode == 0 || starts_with_word(mode, "hello")) {
        serial_puts("bfx firmware: hello\n");
        exit_emulator(0);
    } else if (starts_with_word(mode, "selftest")) {
        selftest();
    } else if (starts_with_word(mode, "fail")) {
        serial_puts("bfx firmware: failing on purpose\n");
        exit_emulator(1);
    } else if (starts_with_word(mode, "hang")) {
        serial_puts("bfx firmware: hanging on purpose\n");
        for (;;) __asm__ volatile("pause");
    } else if (starts_with_word(mode, "wire")) {
        wire_mode(args_of(mode));
    } else if (starts_with_word(mode, "wire-silent")) {
        wire_init();
        for (;;) __asm__ volatile("pause");
    } else if (starts_with_word(mode, "wire-garbage")) {
        wire_init();
        link_garbage();
    } else if (starts_with_word(mode, "wire-bad")) {
        static const char *const lies[] = {"", "junk", "checksum", "type", "length", "version"};
        const char *what = args_of(mode);
        while (*what == ' ') what++;
        for (unsigned i = 1; i < sizeof lies / sizeof lies[0]; i++) {
            if (starts_with_word(what, lies[i])) link_lie = (enum link_lie)i;
        }
        if (link_lie == LIE_NONE) {
            serial_puts("bfx firmware: wire-bad takes junk, checksum, type, length or version\n");
            exit_emulator(2);
        }
        wire_mode("");
    } else if (starts_with_word(mode, "wire-fault")) {
        options_parse("");
        wire_init();
        link_hello();
        __asm__ volatile("ud2");
    } else if (starts_with_word(mode, "archtest")) {
        unsigned failed = arch_selftest();
        exit_emulator(failed ? 1 : 0);
    } else if (starts_with_word(mode, "crash")) {
        serial_puts("bfx firmware: crashing on purpose\n");
        uart_drain(COM1); /* the line out before the machine goes */
        static const struct { uint16_t limit; uint64_t base; } __attribute__((packed)) no_idt = {0, 0};
        __asm__ volatile("lidt %0; int3" : : "m"(no_idt)); /* no IDT: #GP, #DF, triple fault */
    }
    serial_puts("bfx firmware: unknown mode; the modes are hello, selftest, fail, hang, crash, wire, wire-silent, wire-garbage, wire-fault, wire-bad, archtest\n");
    exit_emulator(2);
}
