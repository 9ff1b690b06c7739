// A rewrite plugin template. Copy it to a name without the leading "_" (files starting with
// "_" are not loaded), set "rewritePlugin" to that name in tmon.config.json, and try it with
// `tmon rewrite some-batch.kvg --plugin NAME` before trusting it.
//
// `input` is the batch document cut down to one action (the primary), in the JSON view:
// groups are {type, name, members}, pairs {key, value}. Return the output document, as
// the same plain data or as KVGroup text, from a plain or an async function. Rules:
//   - add "changed" = "true" and "retval" = "0" to the top-level group to have the output run;
//     "changed" = "false" runs the primary as submitted;
//   - keep the batch id, and the primary action's id and replyid;
//   - new actions get new ids, an empty replyid, and "depends" on what they wait for.
// Throwing, hanging or crashing is contained: the primary then runs as submitted (or fails,
// with "onPluginError": "fail"), and the message board says why.

/** @type {import('tmon').RewritePlugin} */
export default {
  async rewrite(input, context) {
    context.log.info('looking at the action', { options: context.options });
    return { ...input, members: [{ key: 'changed', value: 'false' }, { key: 'retval', value: '0' }, ...input.members] };
  },
};
