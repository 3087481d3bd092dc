// The bfx SDK for AssemblyScript extensions: import everything from here.
//
//   import { bf_handle_op_open_handle, BF_SPEC_ID1_VAL, ... } from "../sdk";
//
// bf.ts holds every syscall of the bf ABI (generated from abi/table.ts);
// host.ts holds the host's own services (the "bfx" import namespace).
export * from './bf';
export * from './host';
