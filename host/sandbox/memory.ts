// An extension's linear memory, created and owned by the host (DESIGN
// decision 3): shared, fixed in size, never grown. The boundary reads and
// writes it only through these checks.

export const PAGE = 4096;

const ZERO_CHUNK = new Uint8Array(65536);

export class ExtensionMemory {
  readonly memory: WebAssembly.Memory;
  readonly size: number;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  readonly u64: BigUint64Array;
  private freePages: number[];
  /** [first, end): where the pool's pages lie, page-aligned */
  private readonly poolPages: [number, number];

  /**
   * pages: WebAssembly pages (64 KiB), initial and maximum alike.
   * pool: [start, end) byte range the module leaves unused, for bf_mem_op_alloc_page.
   */
  constructor(pages: number, pool: [number, number]) {
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    // the size never changes, so these views stay valid for the memory's life
    const buf = this.memory.buffer;
    this.size = buf.byteLength;
    this.u8 = new Uint8Array(buf);
    this.u16 = new Uint16Array(buf);
    this.u32 = new Uint32Array(buf);
    this.u64 = new BigUint64Array(buf);
    const first = Math.max(PAGE, Math.ceil(pool[0] / PAGE) * PAGE);
    const end = Math.min(this.size, Math.floor(pool[1] / PAGE) * PAGE);
    this.poolPages = [first, end];
    this.freePages = [];
    this.reset();
  }

  /**
   * As new: all zero, every pool page free. A restarted extension gets its
   * memory so rather than a new one, whose address space the engine only
   * gives back when it collects the old.
   */
  reset(): void {
    // a zero chunk copied in is some six times faster than fill() on a shared buffer
    for (let at = 0; at < this.size; at += ZERO_CHUNK.length) this.u8.set(ZERO_CHUNK.subarray(0, Math.min(ZERO_CHUNK.length, this.size - at)), at);
    const [first, end] = this.poolPages;
    this.freePages = [];
    for (let p = end - PAGE; p >= first; p -= PAGE) this.freePages.push(p);
  }

  /** an output pointer: not null, aligned to the value's size, inside memory */
  outOk(ptr: number, bytes: number): boolean {
    const p = ptr >>> 0;
    return p !== 0 && p % bytes === 0 && p + bytes <= this.size;
  }

  write(ptr: number, bytes: number, value: bigint): void {
    const p = ptr >>> 0;
    switch (bytes) {
      case 1: this.u8[p] = Number(value & 0xffn); break;
      case 2: this.u16[p >>> 1] = Number(value & 0xffffn); break;
      case 4: this.u32[p >>> 2] = Number(value & 0xffffffffn); break;
      default: this.u64[p >>> 3] = value; break;
    }
  }

  /** a NUL-terminated UTF-8 string of at most max bytes, or undefined when the pointer is bad or no NUL comes */
  readCString(ptr: number, max: number): string | undefined {
    const p = ptr >>> 0;
    if (p === 0 || p >= this.size) return undefined;
    const end = Math.min(this.size, p + max + 1);
    const nul = this.u8.subarray(p, end).indexOf(0);
    if (nul < 0) return undefined;
    return Buffer.from(this.u8.subarray(p, p + nul)).toString('utf8');
  }

  /** an AssemblyScript string (UTF-16, its byte length in the header word before it), or undefined */
  readAsString(ptr: number): string | undefined {
    const p = ptr >>> 0;
    if (p < 4 || p % 4 !== 0 || p >= this.size) return undefined;
    const bytes = this.u32[(p - 4) >>> 2];
    if (bytes % 2 !== 0 || p + bytes > this.size) return undefined;
    return Buffer.from(this.u8.subarray(p, p + bytes)).toString('utf16le');
  }

  takePage(): number | undefined {
    const p = this.freePages.pop();
    if (p !== undefined) this.u8.fill(0, p, p + PAGE);
    return p;
  }

  givePage(p: number): void {
    this.freePages.push(p);
  }

  pageView(p: number): Uint8Array {
    return this.u8.subarray(p, p + PAGE);
  }

  get pagesFree(): number {
    return this.freePages.length;
  }

  /**
   * The pool pages not handed out, in the order takePage hands them out
   * from the end: state outside the memory that a checkpoint keeps with it.
   * Setting it checks that each page lies in this memory's pool, at most once.
   */
  get freePageList(): number[] {
    return [...this.freePages];
  }

  set freePageList(pages: readonly number[]) {
    const [first, end] = this.poolPages;
    const seen = new Set<number>();
    for (const p of pages) {
      if (!Number.isInteger(p) || p % PAGE !== 0 || p < first || p + PAGE > end) {
        throw new RangeError(`free page list: ${p} is not a page of this memory's pool [0x${first.toString(16)}, 0x${end.toString(16)})`);
      }
      if (seen.has(p)) throw new RangeError(`free page list: page 0x${p.toString(16)} is in it twice`);
      seen.add(p);
    }
    this.freePages = [...pages];
  }
}
