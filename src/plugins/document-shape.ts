/**
 * Why `value` is not a KVGroup group in the JSON view, or undefined when it is one. Checked
 * iteratively, since a plugin may hand back anything, however deep.
 */
export function documentShapeError(value: unknown): string | undefined {
  const stack: Array<{ v: unknown; path: string }> = [{ v: value, path: 'output' }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${path} is not a group or a pair object`;
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.members)) {
      if (typeof o.type !== 'string' || typeof o.name !== 'string') return `${path}: a group needs string "type" and "name"`;
      for (let i = o.members.length - 1; i >= 0; i--) stack.push({ v: o.members[i], path: `${path}.members[${i}]` });
    } else if (path === 'output') {
      return 'output is not a group: it has no "members" array';
    } else if (typeof o.key !== 'string' || typeof o.value !== 'string') {
      return `${path}: a pair needs string "key" and "value"`;
    }
  }
  return undefined;
}
