/* A syscall as registers (ABI.md): RAX carries the signature, flags, op
 * and index; REG0..REG5 the inputs. The answer is a bf_status_t and the
 * outputs in REG0.. in the order the ABI lists them. */
#ifndef SYSCALL_H
#define SYSCALL_H

#include <stdint.h>
#include "bf.h"

bf_status_t syscall_dispatch(uint64_t rax, const uint64_t reg[6], uint64_t out[6]);

#endif
