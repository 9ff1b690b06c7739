/**
 * The operations tmon executes (contract §2): the reference monitor's codes, what each does,
 * and the keys each needs non-empty. A key `attributes.X` means the pair X inside the action's
 * `"attributes" ""` group; `attributes` alone means that group must hold at least one pair.
 *
 * This table is the one place that knows operations: validation, the ajv schemas and the
 * connectors all read it, so a site extends tmon by extending it (`extendOperations`).
 */
export interface OperationSpec {
  /** What the operation does, for people (help texts, `tmon status`). */
  does: string;
  needs: readonly string[];
}

const ACCOUNT = ['hostid', 'userid'] as const;

export const OPERATIONS: Readonly<Record<string, OperationSpec>> = Object.freeze({
  ACUA: { does: 'create the account (copying group memberships from template modelid if given)', needs: ACCOUNT },
  DELU: { does: 'delete the account', needs: ACCOUNT },
  DNAU: { does: 'disable the account', needs: ACCOUNT },
  ENAU: { does: 'enable the account', needs: ACCOUNT },
  LOCK: { does: 'lock the account', needs: ACCOUNT },
  ULCK: { does: 'unlock the account', needs: ACCOUNT },
  GRUA: { does: 'add the account to group groupid', needs: [...ACCOUNT, 'groupid'] },
  GRUD: { does: 'remove the account from group groupid', needs: [...ACCOUNT, 'groupid'] },
  UPDT: { does: 'set the account attributes in attributes', needs: [...ACCOUNT, 'attributes'] },
  MVCU: { does: 'move the account to the context (OU) in attribute context', needs: [...ACCOUNT, 'attributes.context'] },
  RENU: { does: 'rename the account to attribute newuserid', needs: [...ACCOUNT, 'attributes.newuserid'] },
  ACHG: { does: 'set the password to newpw', needs: [...ACCOUNT, 'newpw'] },
  AEXP: { does: 'expire the password', needs: ACCOUNT },
  CRTG: { does: 'create group groupid', needs: ['hostid', 'groupid'] },
  DELG: { does: 'delete group groupid', needs: ['hostid', 'groupid'] },
  NOOP: { does: 'nothing (a placeholder a plugin may leave)', needs: ['hostid'] },
});

export type OperationTable = Readonly<Record<string, OperationSpec>>;

/** The table with a site's own operations added (or the built-in ones redefined). */
export function extendOperations(extra: Record<string, OperationSpec>): OperationTable {
  return Object.freeze({ ...OPERATIONS, ...extra });
}
