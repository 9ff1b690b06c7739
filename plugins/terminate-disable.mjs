// terminate-disable: a delete (DELU) becomes a disable (DNAU) of the same account, plus a
// removal (GRUD) from each group in the `groups` option, each waiting for the disable to
// succeed. The reference monitor's own example: a disabled account can be brought back,
// while its privileged group memberships go at once.
//
// Config: "rewritePlugin": "terminate-disable",
//         "pluginOptions": { "terminate-disable": { "groups": ["CN=manager,OU=CANADA,DC=yan,DC=local"] } }
//
// Other operations pass through unchanged. Fanned-out actions are named <primary id>.<n>,
// which cannot collide with the workflow manager's <batch>_<n> ids.
import { fannedFrom, primaryOf, verdict, withActions, withPairs } from './_rewrite-kit.mjs';

/** @type {import('tmon').RewritePlugin} */
export default {
  rewrite(input, context) {
    const { batch, primary, operation } = primaryOf(input);
    if (operation !== 'DELU') return verdict(input, false);
    const groups = context.options.groups ?? [];
    if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string')) throw new Error('option "groups" must be a list of group ids');

    const removals = groups.map((groupid, i) => fannedFrom(primary, batch, `${primary.name}.${i + 1}`, { operation: 'GRUD', groupid }));
    context.log.info(`DELU becomes DNAU and ${removals.length} group removal(s)`);
    return withActions(input, batch, [withPairs(primary, { operation: 'DNAU' }), ...removals]);
  },
};
