// hello: the smallest extension. It opens a handle, writes to its debug
// output and exits. Run it with:  npx bfx run extensions/hello
import {
  BF_SPEC_ID1_MASK, BF_SPEC_ID1_VAL, BF_STATUS_SUCCESS, bf_control_op_exit, bf_debug_op_out,
  bf_debug_op_write_str, bf_handle_op_open_handle, bf_last_status,
} from '../sdk';

// The host calls this first, with the versions of the ABI it speaks.
export function ext_main_entry(version: u32): void {
  if ((version & BF_SPEC_ID1_MASK) == 0) return; // we speak version 1 only

  // Every syscall but this one takes the handle it gives.
  const handle = bf_handle_op_open_handle(BF_SPEC_ID1_VAL);
  if (bf_last_status() != BF_STATUS_SUCCESS) return;

  bf_debug_op_write_str(handle, 'hello from an AssemblyScript extension\n');
  bf_debug_op_out(handle, 0x1234, 0xdeadbeef); // two values, in hex

  // Done: exit does not return.
  bf_control_op_exit(handle);
}
