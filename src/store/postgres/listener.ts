import pg from 'pg';
import { WORK_CHANNEL } from './db.js';

/**
 * A connection of its own that hears other daemons of `schema` commit what may let this one
 * start something (results, batches taken in, leases let go), and calls `fn`: the daemon takes
 * a turn then, not at its next poll, so a target slot freed on one daemon is taken by another
 * at once. A wake-up only: a notification lost with its connection delays a turn until the poll,
 * never loses work. Undefined when it cannot listen; `lost` is called if the connection fails.
 */
export async function listenForWork(url: string, schema: string, owner: string, fn: () => void, lost: () => void): Promise<pg.Client | undefined> {
  const client = new pg.Client({ connectionString: url });
  const mine = `${schema} ${owner}`;
  client.on('notification', (n) => {
    if (n.payload !== mine && n.payload?.startsWith(`${schema} `)) fn();
  });
  client.on('error', () => {
    lost();
    void client.end().catch(() => undefined);
  });
  try {
    await client.connect();
    await client.query(`LISTEN ${WORK_CHANNEL}`);
    return client;
  } catch {
    await client.end().catch(() => undefined);
    return undefined;
  }
}
