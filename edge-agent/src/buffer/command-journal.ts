/**
 * Commands that act on equipment, journalled in the buffer database: a start record is
 * committed before the command acts, and cleared once its answer is buffered. After a crash in
 * between, the agent knows it may have acted and does not act again on the platform's
 * redelivery (a pump started twice); it answers "interrupted" instead.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';

/** Start records older than this are pruned, ms (a week). */
export const COMMAND_JOURNAL_KEEP_MS = 7 * 86_400_000;

export class CommandJournal {
  readonly #start: StatementSync;
  readonly #find: StatementSync;
  readonly #clear: StatementSync;

  constructor(db: DatabaseSync) {
    this.#start = db.prepare('INSERT OR REPLACE INTO commands_started (id, at) VALUES (?, ?)');
    this.#find = db.prepare('SELECT 1 AS found FROM commands_started WHERE id = ?');
    this.#clear = db.prepare('DELETE FROM commands_started WHERE id = ? OR at < ?');
  }

  /** A command is about to act on equipment: recorded durably first. */
  started(id: string): void {
    this.#start.run(id, Date.now());
  }

  /** Whether `id` was started and its answer not yet buffered (the agent died while it ran). */
  wasStarted(id: string): boolean {
    return this.#find.get(id) !== undefined;
  }

  /** The command's answer is buffered: the start record is no longer needed (kept a week at most anyway). */
  answered(id: string): void {
    this.#clear.run(id, Date.now() - COMMAND_JOURNAL_KEEP_MS);
  }
}
