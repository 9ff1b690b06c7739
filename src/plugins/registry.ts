import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import type { ModuleFormat } from './messages.js';

/*
 * The plugins folder. A JS module (.js, .mjs, .cjs) runs in a worker thread; a file whose
 * extension the config maps to an interpreter runs through it; any other file with a run bit
 * runs as it is. Names starting with "." (a write in progress) or "_" (helpers, templates) and
 * other files are not plugins. The folder is looked at again whenever it or a plugin file
 * changes, so plugins come, go and change without a restart.
 */

export type PluginKind = 'js' | 'executable';

export interface PluginEntry {
  name: string;
  path: string;
  kind: PluginKind;
  /** JS plugins: how Node loads the module. */
  moduleFormat?: ModuleFormat;
  /** Executables run through an interpreter: its command. */
  interpreter?: string;
  /** Changes whenever the file does (modification time, size and inode). */
  version: string;
  /** Why this plugin cannot be used, when it cannot. */
  error?: string;
}

const JS_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);

function versionOf(st: Stats): string {
  return `${st.mtimeMs}-${st.size}-${st.ino}`;
}

/** Whether Node reads a .js file as an ES module: the nearest package.json's "type". */
function packageTypeIsModule(dir: string, cache: Map<string, boolean>): boolean {
  const seen: string[] = [];
  let d = dir;
  let answer = false;
  for (;;) {
    const known = cache.get(d);
    if (known !== undefined) {
      answer = known;
      break;
    }
    seen.push(d);
    try {
      answer = (JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { type?: string }).type === 'module';
      break;
    } catch {
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  for (const s of seen) cache.set(s, answer);
  return answer;
}

export class PluginRegistry {
  private entries = new Map<string, PluginEntry>();
  private dirVersion: string | undefined;
  private dirError: string | undefined;
  private readonly typeCache = new Map<string, boolean>();

  constructor(
    readonly dir: string,
    private readonly interpreters: Readonly<Record<string, string>>,
  ) {}

  /** Every plugin found, with load errors, in name order. */
  list(): PluginEntry[] {
    this.refresh();
    return [...this.entries.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Why the folder itself cannot be read, if it cannot. */
  get folderError(): string | undefined {
    this.refresh();
    return this.dirError;
  }

  /** The plugin called `name` as it is on disk now, or undefined. */
  get(name: string): PluginEntry | undefined {
    this.refresh();
    let entry = this.entries.get(name);
    if (!entry) {
      // Not every change shows in the folder's mtime (a chmod +x does not): look again on a miss.
      this.dirVersion = undefined;
      this.refresh();
      entry = this.entries.get(name);
    }
    if (!entry || entry.error) return entry;
    try {
      const version = versionOf(statSync(entry.path));
      entry.version = version;
    } catch {
      this.dirVersion = undefined; // gone since the scan: look again next time
      return undefined;
    }
    return entry;
  }

  private refresh(): void {
    let dirStat: Stats;
    try {
      dirStat = statSync(this.dir);
    } catch (err) {
      this.entries = new Map();
      this.dirVersion = undefined;
      this.dirError = `plugins folder ${this.dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (err as Error).message}`;
      return;
    }
    if (versionOf(dirStat) === this.dirVersion) return;
    this.dirVersion = versionOf(dirStat);
    this.dirError = undefined;
    this.entries = this.scan();
  }

  private scan(): Map<string, PluginEntry> {
    const found = new Map<string, PluginEntry[]>();
    for (const file of readdirSync(this.dir)) {
      if (file.startsWith('.') || file.startsWith('_')) continue;
      const path = join(this.dir, file);
      let st: Stats;
      try {
        st = statSync(path);
      } catch {
        continue; // a dangling link, or removed while we looked
      }
      if (!st.isFile()) continue;
      const ext = extname(file);
      const name = ext ? file.slice(0, -ext.length) : file;
      let entry: PluginEntry | undefined;
      if (JS_EXTENSIONS.has(ext)) {
        const moduleFormat: ModuleFormat = ext === '.mjs' ? 'esm' : ext === '.cjs' ? 'cjs' : packageTypeIsModule(this.dir, this.typeCache) ? 'esm' : 'cjs';
        entry = { name, path, kind: 'js', moduleFormat, version: versionOf(st) };
      } else if (ext && Object.hasOwn(this.interpreters, ext)) {
        entry = { name, path, kind: 'executable', interpreter: this.interpreters[ext]!, version: versionOf(st) };
      } else if ((st.mode & 0o111) !== 0) {
        entry = { name, path, kind: 'executable', version: versionOf(st) };
      }
      if (entry) found.set(name, [...(found.get(name) ?? []), entry]);
    }
    const entries = new Map<string, PluginEntry>();
    for (const [name, list] of found) {
      const first = list[0]!;
      if (list.length > 1) {
        const files = list.map((e) => e.path.slice(this.dir.length + 1)).join(', ');
        first.error = `${list.length} files are named ${name}: ${files}; rename all but one`;
      }
      entries.set(name, first);
    }
    return entries;
  }
}
