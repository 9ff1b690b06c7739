import { DependencyGraph } from '../../src/batch/index.js';

const graph = (edges: Record<string, string[]>) => new DependencyGraph(Object.entries(edges).map(([id, dependsOn]) => ({ id, dependsOn })));

describe('dependency graph', () => {
  test('waves and topological order of a diamond', () => {
    const g = graph({ top: [], left: ['top'], right: ['top'], bottom: ['left', 'right'] });
    expect(g.waves()).toEqual([['top'], ['left', 'right'], ['bottom']]);
    expect(g.order()).toEqual(['top', 'left', 'right', 'bottom']);
  });

  test('the ready tracker releases a node only when its last prerequisite completes', () => {
    const t = graph({ top: [], left: ['top'], right: ['top'], bottom: ['left', 'right'] }).tracker();
    expect(t.initiallyReady()).toEqual(['top']);
    expect(t.complete('top')).toEqual(['left', 'right']);
    expect(t.complete('left')).toEqual([]);
    expect(t.complete('right')).toEqual(['bottom']);
  });

  test('dependencies outside the graph (another batch) are ignored, duplicates counted once', () => {
    const g = graph({ a: ['other-batch-action', 'b', 'b'], b: [] });
    expect(g.waves()).toEqual([['b'], ['a']]);
  });

  test('cycles are found with their whole path, each once; a self-dependency too', () => {
    expect(graph({ a: ['b'], b: ['c'], c: ['a'], d: ['a'] }).cycles()).toEqual([['a', 'b', 'c', 'a']]);
    expect(graph({ s: ['s'] }).cycles()).toEqual([['s', 's']]);
    expect(graph({ a: ['b'], b: ['a'], x: ['y'], y: ['x'] }).cycles()).toEqual([
      ['a', 'b', 'a'],
      ['x', 'y', 'x'],
    ]);
    expect(graph({ a: [], b: ['a'] }).cycles()).toEqual([]);
  });

  test('nodes on a cycle, and what waits for them, are in no wave', () => {
    expect(graph({ a: ['b'], b: ['a'], c: ['a'], d: [] }).waves()).toEqual([['d']]);
  });

  test('transitive dependents', () => {
    const g = graph({ a: [], b: ['a'], c: ['b'], d: ['a'], e: [] });
    expect(g.transitiveDependentsOf('a').sort()).toEqual(['b', 'c', 'd']);
    expect(g.dependentsOf('a').sort()).toEqual(['b', 'd']);
  });

  test('a chain of 100,000 is walked without overflowing the stack, and a cycle on it is found', () => {
    const n = 100_000;
    const nodes = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, dependsOn: i === 0 ? [`n${n - 1}`] : [`n${i - 1}`] }));
    const cycles = new DependencyGraph(nodes).cycles();
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(n + 1);
    nodes[0] = { id: 'n0', dependsOn: [] };
    expect(new DependencyGraph(nodes).order()).toHaveLength(n);
  });
});
