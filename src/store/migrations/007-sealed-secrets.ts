/**
 * Passwords at rest (issue 15): every `newpw` value is stored sealed with the daemon's secret
 * key (src/secrets), and emptied once its action is final. `secret_key_check` holds a known text
 * sealed with the key, so a start with another key is refused rather than running actions with
 * passwords it cannot open. `secrets_wiped` records that a password was emptied, so a retry can
 * refuse to run an action without the password it was given.
 */
export const name = 'sealed-secrets';

export const sql = `
CREATE TABLE secret_key_check (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  sealed      TEXT NOT NULL,            -- a known text sealed with the key
  created_at  INTEGER NOT NULL
);
ALTER TABLE actions ADD COLUMN secrets_wiped INTEGER NOT NULL DEFAULT 0;  -- 1: its newpw values were emptied when it became final
ALTER TABLE batches ADD COLUMN secrets_wiped INTEGER NOT NULL DEFAULT 0;  -- 1: its context's newpw values were emptied when it became final
`;
