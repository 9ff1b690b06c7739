// The pipeline benchmark's rewrite plugin: an ACUA whose batch asks for it ("fanout" in the
// request group) gains an UPDT of the new account that waits for it; everything else is
// returned unchanged. Plain data in and out, like any plugin.
export default {
  rewrite(input) {
    const batch = input.members.find((m) => m.type === 'batch');
    const primary = batch.members.find((m) => m.type === 'action');
    const op = primary.members.find((m) => m.key === 'operation').value;
    const wants = input.members.some((m) => m.type === 'request' && m.members.some((p) => p.key === 'fanout' && p.value === 'yes'));
    if (op !== 'ACUA' || !wants) return { ...input, members: [{ key: 'changed', value: 'false' }, { key: 'retval', value: '0' }, ...input.members] };
    const update = {
      type: 'action',
      name: `${primary.name}.1`,
      members: [
        ...primary.members.filter((m) => m.type === undefined && m.key !== 'operation' && m.key !== 'replyid'),
        { key: 'operation', value: 'UPDT' },
        { key: 'replyid', value: '' },
        { type: 'attributes', name: '', members: [{ key: 'title', value: 'New starter' }] },
        { type: 'depends', name: '', members: [{ type: 'local', name: '', members: [{ key: 'action', value: primary.name }, { key: 'batch', value: batch.name }] }] },
      ],
    };
    return {
      ...input,
      members: [{ key: 'changed', value: 'true' }, { key: 'retval', value: '0' }, ...input.members.map((m) => (m === batch ? { ...batch, members: [primary, update] } : m))],
    };
  },
};
