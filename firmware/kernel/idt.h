/* Exceptions in the firmware: a fault inside a safe MSR access resumes
 * with an error (msr.h); any other is reported to the host in a FAIL
 * frame and on the console, and ends the emulator with status 3. */
#ifndef IDT_H
#define IDT_H

void idt_init(void);

#endif
