/**
 * The dependency graph of a set of actions: node `a` has an edge to `b` when `a` depends on
 * `b` (`a -> b` reads "a waits for b"). Built once per batch; every walk is iterative, so a
 * chain of any length cannot overflow the stack.
 */
export interface GraphNode {
  id: string;
  /** Ids this node waits for. Ids that are not nodes (another batch's actions) are ignored. */
  dependsOn: readonly string[];
}

export class DependencyGraph {
  readonly ids: readonly string[];
  private readonly index = new Map<string, number>();
  /** prerequisites[i]: the nodes node i waits for. */
  private readonly prerequisites: number[][];
  /** dependents[i]: the nodes that wait for node i. */
  private readonly dependents: number[][];

  constructor(nodes: readonly GraphNode[]) {
    this.ids = nodes.map((n) => n.id);
    nodes.forEach((n, i) => {
      if (!this.index.has(n.id)) this.index.set(n.id, i);
    });
    this.prerequisites = nodes.map(() => []);
    this.dependents = nodes.map(() => []);
    nodes.forEach((n, i) => {
      for (const d of new Set(n.dependsOn)) {
        const j = this.index.get(d);
        if (j === undefined) continue;
        this.prerequisites[i]!.push(j);
        this.dependents[j]!.push(i);
      }
    });
  }

  has(id: string): boolean {
    return this.index.has(id);
  }

  /** The ids that wait for `id`, directly. */
  dependentsOf(id: string): string[] {
    const i = this.index.get(id);
    return i === undefined ? [] : this.dependents[i]!.map((j) => this.ids[j]!);
  }

  /** Every id that waits for `id`, directly or through others. */
  transitiveDependentsOf(id: string): string[] {
    const start = this.index.get(id);
    if (start === undefined) return [];
    const seen = new Set<number>([start]);
    const stack = [start];
    const out: string[] = [];
    while (stack.length > 0) {
      for (const j of this.dependents[stack.pop()!]!) {
        if (seen.has(j)) continue;
        seen.add(j);
        out.push(this.ids[j]!);
        stack.push(j);
      }
    }
    return out;
  }

  /**
   * The cycles, each as a path that starts and ends at the same id (`[a, b, a]`: a waits for
   * b, b waits for a). One cycle per set of nodes, found by depth-first search.
   */
  cycles(): string[][] {
    const WHITE = 0;
    const GREY = 1;
    const BLACK = 2;
    const n = this.ids.length;
    const colour = new Uint8Array(n);
    const found: string[][] = [];
    const reported = new Set<string>();
    for (let root = 0; root < n; root++) {
      if (colour[root] !== WHITE) continue;
      // The DFS stack: node and the index of the next prerequisite to visit.
      const path: number[] = [root];
      const next: number[] = [0];
      colour[root] = GREY;
      while (path.length > 0) {
        const top = path.length - 1;
        const node = path[top]!;
        const pre = this.prerequisites[node]!;
        if (next[top]! < pre.length) {
          const j = pre[next[top]!++]!;
          if (colour[j] === WHITE) {
            colour[j] = GREY;
            path.push(j);
            next.push(0);
          } else if (colour[j] === GREY) {
            const cycle = path.slice(path.indexOf(j)).concat(j);
            const key = [...new Set(cycle)].sort((a, b) => a - b).join(',');
            if (!reported.has(key)) {
              reported.add(key);
              found.push(cycle.map((k) => this.ids[k]!));
            }
          }
        } else {
          colour[node] = BLACK;
          path.pop();
          next.pop();
        }
      }
    }
    return found;
  }

  /**
   * Waves: wave 0 waits for nothing, wave k only for earlier waves. Nodes on a cycle (and
   * what waits for them) are in no wave.
   */
  waves(): string[][] {
    const tracker = this.tracker();
    const waves: string[][] = [];
    let wave = tracker.initiallyReady();
    while (wave.length > 0) {
      waves.push(wave);
      const nextWave: string[] = [];
      for (const id of wave) nextWave.push(...tracker.complete(id));
      wave = nextWave;
    }
    return waves;
  }

  /** A topological order: every node after all it waits for. */
  order(): string[] {
    return this.waves().flat();
  }

  tracker(): ReadyTracker {
    return new ReadyTracker(this.ids, this.index, this.prerequisites, this.dependents);
  }
}

/**
 * Tells what became ready as nodes complete: each node counts the prerequisites it still
 * waits for, so completing a node costs one step per node that waits for it.
 */
export class ReadyTracker {
  private readonly waiting: Int32Array;

  constructor(
    private readonly ids: readonly string[],
    private readonly index: ReadonlyMap<string, number>,
    prerequisites: readonly number[][],
    private readonly dependents: readonly number[][],
  ) {
    this.waiting = Int32Array.from(prerequisites, (p) => p.length);
  }

  /** The nodes that wait for nothing. */
  initiallyReady(): string[] {
    const out: string[] = [];
    this.waiting.forEach((w, i) => {
      if (w === 0) out.push(this.ids[i]!);
    });
    return out;
  }

  /** Marks `id` complete and returns the nodes that now wait for nothing. */
  complete(id: string): string[] {
    const i = this.index.get(id);
    if (i === undefined) return [];
    const out: string[] = [];
    for (const j of this.dependents[i]!) {
      if (--this.waiting[j]! === 0) out.push(this.ids[j]!);
    }
    return out;
  }
}
