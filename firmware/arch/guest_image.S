/* The root guest (guest/), built as a flat binary for GUEST_CODE and
 * embedded here; arch/root.c copies it into guest memory. The Makefile
 * passes the build directory that holds guest.bin to the assembler. */

    .section .rodata
    .balign 16
    .global guest_image_start, guest_image_end
guest_image_start:
    .incbin "guest.bin"
guest_image_end:

    .section .note.GNU-stack, "", @progbits
