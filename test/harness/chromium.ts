// A page read the way a person reads it, in a real browser: Debian's
// chromium, headless (qemu/deps.sh installs it). A probe page of ours loads
// the page in a frame and writes what a function found in the DOM the
// browser built, as JSON, where --dump-dom prints it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';

/** chromium, headless, with these switches; as root it needs --no-sandbox, and without a GPU --disable-gpu; a profile of its own, so that two can run at once */
export async function chromium(args: string[]): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'bfx-chromium-'));
  try {
    const r = await execa('chromium', ['--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${profile}`, ...args], { timeout: 30_000 });
    return r.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * The probe: it loads the page in a frame the size of a window (same
 * origin, with --allow-file-access-from-files) and writes read(the frame's document,
 * its window) as JSON into #out. `sandbox` without allow-scripts runs the
 * page with JavaScript off (chromium's own switches for that also stop
 * --dump-dom, and with them the probe).
 */
const probe = (page: string, read: string, javascript: boolean) => `<!DOCTYPE html><meta charset="utf-8"><pre id="out">not loaded</pre>
<iframe id="f" src="${encodeURI(page)}" style="width: 1280px; height: 800px"${javascript ? '' : ' sandbox="allow-same-origin"'}></iframe>
<script>
const frame = document.getElementById('f');
frame.addEventListener('load', () => {
  const read = ${read};
  document.getElementById('out').textContent = JSON.stringify(read(frame.contentDocument, frame.contentWindow));
});
</script>`;

const ENTITIES: Record<string, string> = { '&quot;': '"', '&lt;': '<', '&gt;': '>', '&nbsp;': '\u00a0', '&amp;': '&' };

let probes = 0;

/**
 * What `read` — the source of a function (document, window) => a value
 * JSON can carry — finds in the page `file` as the browser built it, with
 * JavaScript on or off in the page. The probe is written next to the page
 * for the while, so that the two share an origin.
 */
export async function readPage<T>(file: string, read: string, o: { javascript: boolean }): Promise<T> {
  const at = join(dirname(file), `.probe-${process.pid}-${++probes}.html`);
  writeFileSync(at, probe(basename(file), read, o.javascript));
  try {
    const dom = await chromium(['--allow-file-access-from-files', '--dump-dom', pathToFileURL(at).href]);
    const out = /<pre id="out">([^<]*)<\/pre>/.exec(dom)?.[1];
    if (out === undefined || out === 'not loaded') throw new Error(`chromium did not load ${file}: ${dom.slice(0, 500)}`);
    return JSON.parse(out.replace(/&(quot|lt|gt|nbsp|amp);/g, (e) => ENTITIES[e])) as T;
  } finally {
    rmSync(at, { force: true });
  }
}
