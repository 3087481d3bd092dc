// The order extensions start in, from their dependencies, and what a
// restart of one means for those that depend on it. A cycle is refused with
// its path, rather than broken somewhere silently (systemd drops a job).

export const ON_RESTART = ['notify', 'restart'] as const;
/** what a dependent wants when its dependency restarts: to be told, or to restart too */
export type OnRestart = (typeof ON_RESTART)[number];

export interface Dependency {
  name: string;
  onRestart: OnRestart;
}

/** what ordering needs of a manifest */
export interface Dependent {
  name: string;
  dependencies: readonly Dependency[];
  /** where it was declared, for errors */
  file?: string;
}

export class DependencyError extends Error {
  /** for a cycle: its names, first repeated last */
  readonly cycle?: readonly string[];

  constructor(message: string, cycle?: readonly string[]) {
    super(message);
    this.cycle = cycle;
  }
}

const where = (n: Dependent) => (n.file ? ` (${n.file})` : '');

function index<T extends Dependent>(nodes: readonly T[]): Map<string, T> {
  const byName = new Map<string, T>();
  for (const n of nodes) {
    const earlier = byName.get(n.name);
    if (earlier) {
      const files = earlier.file && n.file ? `: in ${earlier.file} and in ${n.file}` : '';
      throw new DependencyError(`two extensions are named "${n.name}"${files}`);
    }
    byName.set(n.name, n);
  }
  const unknown: string[] = [];
  for (const n of nodes) {
    for (const d of n.dependencies) {
      if (!byName.has(d.name)) unknown.push(`extension "${n.name}"${where(n)} depends on "${d.name}", which is not among the extensions loaded (${[...byName.keys()].join(', ')})`);
    }
  }
  if (unknown.length) throw new DependencyError(unknown.join('\n'));
  return byName;
}

/** a cycle among these nodes, as names from its earliest member round to it again; undefined when there is none */
function findCycle<T extends Dependent>(nodes: readonly T[], byName: Map<string, T>): string[] | undefined {
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (n: T): string[] | undefined => {
    if (onPath.has(n.name)) return [...path.slice(path.indexOf(n.name)), n.name];
    if (done.has(n.name)) return undefined;
    path.push(n.name);
    onPath.add(n.name);
    for (const d of n.dependencies) {
      const c = visit(byName.get(d.name)!);
      if (c) return c;
    }
    path.pop();
    onPath.delete(n.name);
    done.add(n.name);
    return undefined;
  };
  for (const n of nodes) {
    const c = visit(n);
    if (!c) continue;
    // start the path at the member declared first, so that the message reads the same however it was found
    const ring = c.slice(0, -1);
    const pos = new Map(nodes.map((m, i) => [m.name, i]));
    const first = ring.reduce((best, m, i) => (pos.get(m)! < pos.get(ring[best])! ? i : best), 0);
    const turned = [...ring.slice(first), ...ring.slice(0, first)];
    return [...turned, turned[0]];
  }
  return undefined;
}

/**
 * The start order: every extension after all it depends on; among those
 * ready at the same time, the one declared first goes first, so that the
 * order changes only when the dependencies do. Unknown names and cycles are
 * errors; a cycle's message is its path, `a → b → a`, where each depends on
 * the next.
 */
export function startOrder<T extends Dependent>(nodes: readonly T[]): T[] {
  const byName = index(nodes);
  const cycle = findCycle(nodes, byName);
  if (cycle) {
    const files = cycle.slice(0, -1).map((c) => byName.get(c)!.file).filter((f) => f !== undefined);
    throw new DependencyError(`dependency cycle: ${cycle.join(' → ')}${files.length ? ` (${files.join(', ')})` : ''}; each depends on the next, so none can start first`, cycle);
  }
  const order: T[] = [];
  const placed = new Set<string>();
  while (order.length < nodes.length) {
    // without a cycle, some node is always ready
    const next = nodes.find((n) => !placed.has(n.name) && n.dependencies.every((d) => placed.has(d.name)))!;
    order.push(next);
    placed.add(next.name);
  }
  return order;
}

/**
 * When `name` restarts: its dependents that restart with it, and those that
 * are only told, each in start order. A dependent restarts when it asks to on
 * the restart of any dependency that restarts; one that restarts is not also
 * notified, and one that is only notified does not pass anything on, since it
 * kept running.
 */
export function restartEffects<T extends Dependent>(nodes: readonly T[], name: string): { restart: string[]; notify: string[] } {
  const order = startOrder(nodes);
  const at = order.findIndex((n) => n.name === name);
  if (at < 0) throw new DependencyError(`no extension is named "${name}" (the extensions are ${nodes.map((n) => n.name).join(', ')})`);
  const restarting = new Set([name]);
  const restart: string[] = [];
  const notify: string[] = [];
  // start order puts every dependency before its dependents, so one pass decides each
  for (const n of order.slice(at + 1)) {
    const hit = n.dependencies.filter((d) => restarting.has(d.name));
    if (!hit.length) continue;
    if (hit.some((d) => d.onRestart === 'restart')) {
      restarting.add(n.name);
      restart.push(n.name);
    } else notify.push(n.name);
  }
  return { restart, notify };
}
