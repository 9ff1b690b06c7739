// disabled-ou: a delete (DELU) becomes a disable (DNAU) followed by a move (MVCU) of the
// account into the context (OU) named by the `context` option, once the disable succeeded:
// the common "park leavers in a Disabled Users OU" policy.
//
// Config: "rewritePlugin": "disabled-ou",
//         "pluginOptions": { "disabled-ou": { "context": "OU=Disabled,DC=yan,DC=local" } }
import { fannedFrom, primaryOf, verdict, withActions, withPairs } from './_rewrite-kit.mjs';

/** @type {import('tmon').RewritePlugin} */
export default {
  rewrite(input, context) {
    const { batch, primary, operation } = primaryOf(input);
    if (operation !== 'DELU') return verdict(input, false);
    const target = context.options.context;
    if (typeof target !== 'string' || target === '') throw new Error('option "context" (the OU to move disabled accounts to) is required');

    const move = fannedFrom(primary, batch, `${primary.name}.1`, { operation: 'MVCU' }, [
      { type: 'attributes', name: '', members: [{ key: 'context', value: target }] },
    ]);
    return withActions(input, batch, [withPairs(primary, { operation: 'DNAU' }), move]);
  },
};
