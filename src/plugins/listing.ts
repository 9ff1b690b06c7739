import type { PluginHost } from './host.js';

/** One plugin of the plugins folder, as `tmon plugins --json` and `GET /v1/plugins` show it. */
export interface PluginListing {
  name: string;
  kind: 'js' | 'executable' | null;
  path: string | null;
  interpreter: string | null;
  /** Position in the configured chain (1 = first), or null when not in use. */
  inUse: number | null;
  error: string | null;
}

/**
 * Every plugin the folder holds, with whether it loads and where it stands in `chain`; then
 * the names of the chain the folder lacks, each with why it cannot be used.
 */
export async function listPlugins(host: PluginHost, chain: readonly string[], pluginsDir: string): Promise<PluginListing[]> {
  const listing: PluginListing[] = [];
  for (const entry of host.registry.list()) {
    const at = chain.indexOf(entry.name);
    listing.push({ name: entry.name, kind: entry.kind, path: entry.path, interpreter: entry.interpreter ?? null, inUse: at < 0 ? null : at + 1, error: (await host.probe(entry)) ?? null });
  }
  chain.forEach((name, i) => {
    if (!listing.some((l) => l.name === name)) {
      listing.push({ name, kind: null, path: null, interpreter: null, inUse: i + 1, error: host.registry.folderError ?? `configured in rewritePlugin but not found in ${pluginsDir}` });
    }
  });
  return listing;
}
