// Start order from dependencies, the errors for unknown names and cycles,
// and who restarts or is told when one extension restarts.
import { describe, expect, it } from 'vitest';
import { DependencyError, restartEffects, startOrder, type Dependent, type OnRestart } from '../../host/supervisor/order.js';

/** a node: "a: b c!" is a, depending on b (notify) and c (restart) */
function nodes(...specs: string[]): Dependent[] {
  return specs.map((spec) => {
    const [name, deps = ''] = spec.split(':');
    return {
      name: name.trim(),
      file: `${name.trim()}.json`,
      dependencies: deps.trim().split(/\s+/).filter(Boolean).map((d) => ({
        name: d.replace(/!$/, ''),
        onRestart: (d.endsWith('!') ? 'restart' : 'notify') as OnRestart,
      })),
    };
  });
}

const names = (ns: Dependent[]) => ns.map((n) => n.name);

function refused(f: () => unknown): DependencyError {
  try {
    f();
  } catch (e) {
    if (e instanceof DependencyError) return e;
    throw e;
  }
  throw new Error('it was accepted, but it should have been refused');
}

describe('start order', () => {
  it('every extension after what it depends on', () => {
    expect(names(startOrder(nodes('app: net log', 'net: log', 'log')))).toEqual(['log', 'net', 'app']);
  });

  it('stable: without dependencies, the manifests\' order; ties go to the one declared first', () => {
    expect(names(startOrder(nodes('c', 'a', 'b')))).toEqual(['c', 'a', 'b']);
    // x and y both wait for base; x is declared first, so it starts first, whatever base's position
    expect(names(startOrder(nodes('y: base', 'x: base', 'base')))).toEqual(['base', 'y', 'x']);
    expect(names(startOrder(nodes('z', 'y: base', 'x: base', 'base', 'w')))).toEqual(['z', 'base', 'y', 'x', 'w']);
  });

  it('a diamond: the shared dependency once, first', () => {
    expect(names(startOrder(nodes('top: left right', 'left: root', 'right: root', 'root')))).toEqual(['root', 'left', 'right', 'top']);
  });

  it('no extensions: nothing to start', () => {
    expect(startOrder([])).toEqual([]);
  });
});

describe('refused: unknown names and cycles', () => {
  it('an unknown dependency names the dependent, its file, the missing name and those loaded', () => {
    const e = refused(() => startOrder(nodes('app: logr', 'log')));
    expect(e.message).toBe('extension "app" (app.json) depends on "logr", which is not among the extensions loaded (app, log)');
  });

  it('a cycle with its path, from the member declared first, and the files', () => {
    const e = refused(() => startOrder(nodes('a: b', 'b: c', 'c: a', 'd')));
    expect(e.message).toBe('dependency cycle: a → b → c → a (a.json, b.json, c.json); each depends on the next, so none can start first');
    expect(e.cycle).toEqual(['a', 'b', 'c', 'a']);
  });

  it('the path starts at the member declared first, however the search came upon it', () => {
    // the search starts at x, reaches the cycle at a, and finds b → a; b was declared before a
    const e = refused(() => startOrder(nodes('x: a', 'b: a', 'a: b')));
    expect(e.cycle).toEqual(['b', 'a', 'b']);
    expect(e.message).toContain('dependency cycle: b → a → b');
  });

  it('an extension that depends on itself is a cycle of one', () => {
    expect(refused(() => startOrder(nodes('a: a'))).cycle).toEqual(['a', 'a']);
  });

  it('two extensions of one name', () => {
    const [one, two] = nodes('a', 'a');
    expect(refused(() => startOrder([one, { ...two, file: 'other.json' }])).message).toBe('two extensions are named "a": in a.json and in other.json');
  });
});

describe('when one restarts: who restarts with it, who is told', () => {
  it('direct dependents, by their setting', () => {
    expect(restartEffects(nodes('log', 'net: log!', 'ui: log'), 'log')).toEqual({ restart: ['net'], notify: ['ui'] });
  });

  it('transitively through those that restart, not through those only told', () => {
    // log restarts → net restarts (!) → app restarts (!) and web is told; ui is told of log, and tells no one
    const ns = nodes('log', 'net: log!', 'ui: log', 'app: net!', 'web: net', 'panel: ui!');
    expect(restartEffects(ns, 'log')).toEqual({ restart: ['net', 'app'], notify: ['ui', 'web'] });
  });

  it('one that restarts because of any of its dependencies is not also told', () => {
    // top is told of a's restart, but restarts because b restarts with a
    const ns = nodes('a', 'b: a!', 'top: a b!');
    expect(restartEffects(ns, 'a')).toEqual({ restart: ['b', 'top'], notify: [] });
  });

  it('in start order, and nothing for what it depends on or for a leaf', () => {
    const ns = nodes('z: m!', 'm: base!', 'base', 'y: m!');
    expect(restartEffects(ns, 'base')).toEqual({ restart: ['m', 'z', 'y'], notify: [] });
    expect(restartEffects(ns, 'z')).toEqual({ restart: [], notify: [] });
  });

  it('an unknown name is an error naming it', () => {
    expect(refused(() => restartEffects(nodes('a'), 'b')).message).toBe('no extension is named "b" (the extensions are a)');
  });
});
