// How the host reaches the mailbox in QEMU's guest RAM: mapped into its own
// memory by the optional native mapper (native/mmap.c: plain loads and
// stores), or through the file (pread and pwrite, about a microsecond each:
// pure JavaScript, always there). The transport is the same either way.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from '../../paths.js';

export type Access = 'mapped' | 'file';

export interface MailboxAccess {
  readonly kind: Access;
  /** where the mailbox is in the file: its guest-physical address */
  readonly offset: number;
  /** a u32 of the mailbox */
  get(offset: number): number;
  set(offset: number, value: number): void;
  /** n bytes of the mailbox from `offset` into dst at `at` */
  read(offset: number, dst: Uint8Array, at: number, n: number): void;
  /** n bytes of src from `at` into the mailbox at `offset` */
  write(offset: number, src: Uint8Array, at: number, n: number): void;
  close(): void;
}

interface Mapper {
  map(path: string, offset: number, length: number): ArrayBuffer;
}

let mapper: Mapper | null | undefined;

/** the native mapper when it was built (npm install builds it), else null */
export function nativeMapper(): Mapper | null {
  if (mapper === undefined) {
    try {
      mapper = createRequire(import.meta.url)(join(ROOT, 'native', 'build', 'Release', 'bfx_mmap.node')) as Mapper;
    } catch {
      mapper = null;
    }
  }
  return mapper;
}

class FileAccess implements MailboxAccess {
  readonly kind = 'file';
  private readonly word = Buffer.alloc(4);
  constructor(private readonly fd: number, readonly offset: number) {}

  get(offset: number): number {
    readSync(this.fd, this.word, 0, 4, this.offset + offset);
    return this.word.readUInt32LE(0);
  }

  set(offset: number, value: number): void {
    this.word.writeUInt32LE(value >>> 0, 0);
    writeSync(this.fd, this.word, 0, 4, this.offset + offset);
  }

  read(offset: number, dst: Uint8Array, at: number, n: number): void {
    readSync(this.fd, dst, at, n, this.offset + offset);
  }

  write(offset: number, src: Uint8Array, at: number, n: number): void {
    writeSync(this.fd, src, at, n, this.offset + offset);
  }

  close(): void {
    closeSync(this.fd);
  }
}

class MappedAccess implements MailboxAccess {
  readonly kind = 'mapped';
  private bytes: Uint8Array;
  private words: Int32Array;
  constructor(buffer: ArrayBuffer, readonly offset: number) {
    this.bytes = new Uint8Array(buffer);
    this.words = new Int32Array(buffer);
  }

  // Atomics: the firmware reads the bytes, then the counter that says they are there; no reordering across it
  get(offset: number): number {
    return Atomics.load(this.words, offset >> 2) >>> 0;
  }

  set(offset: number, value: number): void {
    Atomics.store(this.words, offset >> 2, value | 0);
  }

  read(offset: number, dst: Uint8Array, at: number, n: number): void {
    dst.set(this.bytes.subarray(offset, offset + n), at);
  }

  write(offset: number, src: Uint8Array, at: number, n: number): void {
    this.bytes.set(src.subarray(at, at + n), offset);
  }

  close(): void {
    // the mapping goes with the buffer, when it is collected: views dropped now so that it can be
    this.bytes = new Uint8Array(0);
    this.words = new Int32Array(0);
  }
}

/** the mailbox of `bytes` at `offset` of the file: mapped when asked (default) and the mapper is there, else through the file */
export function openMailbox(file: string, offset: number, bytes: number, want: Access = 'mapped'): MailboxAccess {
  const m = want === 'mapped' ? nativeMapper() : null;
  if (m) return new MappedAccess(m.map(file, offset, bytes), offset);
  return new FileAccess(openSync(file, 'r+'), offset);
}
