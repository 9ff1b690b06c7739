import type { Command } from 'commander';
import { styleText } from 'node:util';
import { TmonError } from '../../errors.js';
import type { ActionDetail, ActionState, BatchDetail, Store } from '../../store/index.js';
import { withReadStore, type GlobalOptions } from '../context.js';
import { json, printable } from '../format.js';
import { writeOut } from '../output.js';

export interface TreeNode extends ActionDetail {
  /** The node is drawn in full under another parent; here it is only named. */
  seeAbove?: true;
  children: TreeNode[];
}

/**
 * The batch's actions as a forest: roots wait for nothing in the batch, children wait for
 * their parent. An action that waits for several is drawn in full under the first and named
 * under the others.
 */
export function dependencyForest(batch: BatchDetail): TreeNode[] {
  const byId = new Map(batch.actions.map((a) => [a.id, a]));
  const dependents = new Map<string, string[]>();
  for (const a of batch.actions) {
    for (const d of a.depends) if (d.batch === batch.id && byId.has(d.action)) dependents.set(d.action, [...(dependents.get(d.action) ?? []), a.id]);
  }
  const drawn = new Set<string>();
  const build = (a: ActionDetail): TreeNode => {
    if (drawn.has(a.id)) return { ...a, seeAbove: true, children: [] };
    drawn.add(a.id);
    return { ...a, children: (dependents.get(a.id) ?? []).map((id) => build(byId.get(id)!)) };
  };
  const roots = batch.actions.filter((a) => !a.depends.some((d) => d.batch === batch.id && byId.has(d.action)));
  return roots.map(build);
}

const COLOURS: Partial<Record<ActionState, Parameters<typeof styleText>[0]>> = {
  succeeded: 'green',
  failed: 'red',
  skipped: 'yellow',
  retrying: 'yellow',
  running: 'cyan',
  canceled: 'gray',
  waiting: 'gray',
};

/** The text made printable (control characters escaped), cut to `width` with an ellipsis. */
function fit(raw: string, width: number): string {
  const text = printable(raw);
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** The tree as lines of at most `width` characters; the state word coloured when `colour`. */
/**
 * `notes`: board entries per action id (a plugin that failed while its action ran as submitted),
 * drawn under the action, so that `show` tells what only the board said.
 */
export function drawForest(batch: BatchDetail, forest: TreeNode[], width: number, colour: boolean, notes: ReadonlyMap<string, readonly string[]> = new Map()): string[] {
  const paint = (line: string, state: ActionState): string => {
    const style = COLOURS[state];
    if (!colour || !style) return line;
    const at = line.lastIndexOf(` ${state}`);
    return at < 0 ? line : `${line.slice(0, at + 1)}${styleText(style, state)}${line.slice(at + 1 + state.length)}`;
  };
  const c = batch.counts;
  const counts = [`${c.succeeded} ok`, ...(['failed', 'skipped', 'canceled', 'pending'] as const).filter((k) => c[k] > 0).map((k) => `${c[k]} ${k}`)];
  const lines = [fit(`batch ${batch.id}  ${batch.state}  (${c.total} action${c.total === 1 ? '' : 's'}: ${counts.join(', ')})`, width)];
  const walk = (nodes: TreeNode[], prefix: string): void => {
    nodes.forEach((n, i) => {
      const last = i === nodes.length - 1;
      const branch = `${prefix}${last ? '└─ ' : '├─ '}`;
      const under = `${prefix}${last ? '   ' : '│  '}`;
      if (n.seeAbove) {
        lines.push(fit(`${branch}${n.id} (drawn above)`, width));
        return;
      }
      const origin = n.primaryId === n.id ? 'primary' : `from ${n.primaryId}`;
      const via = n.plugin ? ` by ${n.plugin}` : '';
      const outside = n.depends.filter((d) => d.batch !== batch.id).map((d) => `${d.batch}/${d.action}`);
      const tags = `[${origin}${via}${outside.length ? `; waits on ${outside.join(', ')}` : ''}]`;
      const head = `${branch}${n.id}  ${n.operation} ${n.hostid}${n.userid ? ` ${n.userid}` : ''}`;
      const tail = ` ${n.state}${n.attempts > 1 ? ` (${n.attempts} tries)` : ''}`;
      const more = `${under}${n.children.length ? '│' : ' '}  `;
      // The tags go on the line when they fit, else on a line of their own below it.
      if (printable(`${head}  ${tags}`).length + tail.length <= width) lines.push(paint(fit(`${head}  ${tags}${tail}`, width), n.state));
      else {
        lines.push(paint(`${fit(head, width - tail.length)}${tail}`, n.state));
        lines.push(fit(`${more}${tags}`, width));
      }
      if (n.lastError && n.state !== 'succeeded') lines.push(fit(`${more}! ${n.lastError}`, width));
      for (const note of notes.get(n.id) ?? []) if (note !== n.lastError) lines.push(fit(`${more}! ${note}`, width));
      walk(n.children, under);
    });
  };
  walk(forest, '');
  return lines;
}

/** The batch's warnings and errors from the board, per action, oldest first. */
export async function boardNotes(store: Pick<Store, 'batchMessages'>, batchId: string): Promise<Map<string, string[]>> {
  const notes = new Map<string, string[]>();
  for (const m of await store.batchMessages(batchId)) {
    if (m.action === null || m.level === 'info') continue;
    notes.set(m.action, [...(notes.get(m.action) ?? []), m.text]);
  }
  return notes;
}

export function registerShow(program: Command): void {
  program
    .command('show')
    .description('a batch\'s actions drawn as a dependency tree: which plugin made each, primary or fanned out, and its state')
    .argument('<batch>', 'the batch id')
    .option('--json', 'print {batch: {id, state, counts}, roots: [action with children: [...]]}')
    .action(async (batchId: string, opts: { json?: boolean }, cmd: Command) => {
      await withReadStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const batch = await store?.batchDetail(batchId);
        if (!batch) throw new TmonError('CLI_NO_INPUT', `no batch ${batchId}`);
        const forest = dependencyForest(batch);
        if (opts.json) return writeOut(json({ batch: { id: batch.id, state: batch.state, counts: batch.counts }, roots: forest }));
        const colour = process.stdout.isTTY === true && !process.env.NO_COLOR;
        return writeOut(`${drawForest(batch, forest, process.stdout.columns || 80, colour, await boardNotes(store!, batch.id)).join('\n')}\n`);
      });
    });
}
