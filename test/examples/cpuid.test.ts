// cpuid: the guest of every processor sees the extension's hypervisor
// signature and the hypervisor bit, on AMD and on Intel, one processor or two.
import { describe, expect, it } from 'vitest';
import type { Arch } from '../../host/backend/microkernel.js';
import { run } from './run.js';

const SIGNATURE = 'cpuid(0x40000000) signature=BfxHyperWasm max-leaf=0x40000000';
const VENDOR: Record<Arch, string> = { amd: 'AuthenticAMD', intel: 'GenuineIntel' };
/** the CPUID exit as each architecture numbers it, and as the report names it */
const CPUID_EXIT: Record<Arch, [bigint, string]> = { amd: [0x72n, 'cpuid (0x72)'], intel: [10n, 'cpuid (10)'] };

describe.each([
  { arch: 'amd' as Arch, pps: 1 },
  { arch: 'intel' as Arch, pps: 1 },
  { arch: 'amd' as Arch, pps: 2 },
  { arch: 'intel' as Arch, pps: 2 },
])('cpuid on $arch with $pps pp(s)', ({ arch, pps }) => {
  it('every guest prints the signature and the hypervisor bit', async () => {
    const r = await run({ arch, pps }, 'cpuid');
    for (let pp = 0; pp < pps; pp++) {
      expect(r.guest(pp)).toEqual([
        `hello from pp ${pp}`,
        expect.stringMatching(new RegExp(`^cpuid\\(0\\) vendor=${VENDOR[arch]} max-leaf=0x[0-9a-f]+$`)),
        SIGNATURE,
        'cpuid(1) hypervisor-bit=1',
      ]);
    }
    // nothing went wrong, so the extension had nothing to say
    expect(r.lines('cpuid')).toEqual([]);
  });

  it('counts its exits by reason: three CPUIDs per processor, and every processor halts', async () => {
    const r = await run({ arch, pps }, 'cpuid');
    const [reason, name] = CPUID_EXIT[arch];
    expect(r.result.exits).toEqual({ [name]: 3 * pps });
    expect(r.result.extensions[0].exits).toEqual({ [name]: 3 * pps });
    expect([...r.host.extensions[0].exits]).toEqual([[reason, 3 * pps]]);
    expect(r.result.pps).toEqual(Array.from({ length: pps }, (_, ppid) => ({ ppid, state: 'halted', exits: 3 })));
  });

  it('reports ok: no fault, its VMs, VPs and VPSs live, nothing audited', async () => {
    const r = await run({ arch, pps }, 'cpuid');
    expect(r.result.ok).toBe(true);
    expect(r.result.arch).toBe(arch);
    expect(r.result.extensions.map((e) => [e.name, e.state, e.faults])).toEqual([['cpuid', 'waiting', []]]);
    expect(r.result.resources).toEqual({ vm: { live: 1, zombie: 0 }, vp: { live: pps, zombie: 0 }, vps: { live: pps, zombie: 0 } });
    expect(r.result.audit.records).toEqual([]);
    expect(r.result.extensions[0].syscalls.bf_vps_op_advance_ip_and_run_current).toBe(3 * pps);
  });
});

describe('cpuid, beyond its own guest', () => {
  it('answers every one of many CPUIDs (guest cpuid-loop)', async () => {
    const r = await run({ guest: 'cpuid-loop:500' }, 'cpuid');
    expect(r.guest(0)).toEqual(['cpuid-loop done: signature=BfxHyperWasm']);
    expect(r.result.exits).toEqual({ 'cpuid (0x72)': 500 });
    expect(r.result.ok).toBe(true);
  });

  it('on an exit it does not handle (VMCALL, which always exits on Intel): says so, dumps the VPS, exits; the processor stops', async () => {
    const r = await run({ arch: 'intel', guest: 'vmcall' }, 'cpuid');
    expect(r.lines('cpuid')).toEqual(['cpuid: unexpected exit 0x12']);
    expect(r.output.some((l) => l.source === 'kernel' && l.text === 'vps 0: live, vp 0, pp 0')).toBe(true);
    expect(r.host.extensions[0].state).toBe('exited');
    expect(r.result.pps).toEqual([{ ppid: 0, state: 'stopped', exits: 1, why: 'cpuid exited in its vmexit callback' }]);
    expect(r.result.ok).toBe(false);
  });
});
