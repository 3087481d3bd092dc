/* The VMCS fields an extension can address: exactly those the sim's
 * intel.ts lists, so that read8..write64 accept and refuse the same
 * encodings on both. `soft` marks the ones the firmware keeps itself (see
 * vmx.h): the hardware gets the firmware's values for those. */
#include "vmx.h"

#define HW(e) {(e), 0}
#define SOFT(e) {(e), 1}
#define EIGHT(kind, base) kind(base), kind((base) + 2), kind((base) + 4), kind((base) + 6), \
    kind((base) + 8), kind((base) + 10), kind((base) + 12), kind((base) + 14)

const struct vmx_field vmx_fields[] = {
    SOFT(0x0000),                                    /* VPID: the firmware gives none */
    EIGHT(HW, 0x0800),                               /* guest selectors es..tr */
    SOFT(0x0C00), SOFT(0x0C02), SOFT(0x0C04), SOFT(0x0C06), SOFT(0x0C08), SOFT(0x0C0A), SOFT(0x0C0C), /* host selectors */
    SOFT(0x2000), SOFT(0x2002), SOFT(0x2004),        /* I/O and MSR bitmaps */
    SOFT(0x2006), SOFT(0x2008), SOFT(0x200A),        /* MSR store and load areas: the firmware's memory, never the extension's pointers */
    HW(0x2010),                                      /* TSC offset */
    SOFT(0x201A),                                    /* EPTP */
    SOFT(0x2400),                                    /* guest-physical address (exit information) */
    HW(0x2800), HW(0x2802), HW(0x2804), HW(0x2806),  /* link pointer, debugctl, PAT, EFER */
    SOFT(0x2C00), SOFT(0x2C02),                      /* host PAT, EFER */
    SOFT(0x4000), SOFT(0x4002), HW(0x4004), HW(0x4006), HW(0x4008), HW(0x400A),
    SOFT(0x400C), SOFT(0x400E), SOFT(0x4010), SOFT(0x4012), SOFT(0x4014),
    HW(0x4016), HW(0x4018), HW(0x401A), SOFT(0x401E),
    EIGHT(SOFT, 0x4400),                             /* exit information */
    EIGHT(HW, 0x4800), HW(0x4810), HW(0x4812),       /* limits */
    EIGHT(HW, 0x4814),                               /* access rights */
    HW(0x4824), HW(0x4826), HW(0x4828), HW(0x482A),  /* interruptibility, activity, SMBASE, SYSENTER_CS */
    SOFT(0x4C00),                                    /* host SYSENTER_CS */
    SOFT(0x6000), SOFT(0x6002), SOFT(0x6004), SOFT(0x6006), /* CR0 and CR4 masks and shadows */
    SOFT(0x6400), SOFT(0x640A),                      /* exit qualification, guest-linear address */
    SOFT(0x6800), HW(0x6802), SOFT(0x6804),          /* CR0, CR3, CR4 */
    EIGHT(HW, 0x6806), HW(0x6816), HW(0x6818),       /* bases, GDTR, IDTR */
    HW(0x681A), HW(0x681C), HW(0x681E), HW(0x6820), HW(0x6822), HW(0x6824), HW(0x6826),
    SOFT(0x6C00), SOFT(0x6C02), SOFT(0x6C04), SOFT(0x6C06), SOFT(0x6C08), SOFT(0x6C0A),
    SOFT(0x6C0C), SOFT(0x6C0E), SOFT(0x6C10), SOFT(0x6C12), SOFT(0x6C14), SOFT(0x6C16), /* host state */
};

const unsigned vmx_field_count = sizeof vmx_fields / sizeof vmx_fields[0];
_Static_assert(sizeof vmx_fields / sizeof vmx_fields[0] <= VMX_FIELDS && VMX_FIELDS < 255, "VMX_FIELDS holds the list, and a slot fits a byte");

/* slot + 1 by encoding / 2 (every listed encoding is even and below
 * 0x7000), 0 for none: a field is found on every register access and
 * every entry, and a search would cost more than the exit itself */
#define ENCODINGS 0x7000u
static uint8_t slot_of[ENCODINGS / 2];
static int indexed;

int vmx_slot(uint64_t encoding) {
    if (!indexed) {
        for (unsigned i = 0; i < vmx_field_count; i++) slot_of[vmx_fields[i].encoding / 2] = (uint8_t)(i + 1);
        indexed = 1;
    }
    if (encoding >= ENCODINGS || (encoding & 1)) return -1;
    return (int)slot_of[encoding / 2] - 1;
}
