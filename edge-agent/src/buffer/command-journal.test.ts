/** The command journal: started → (crash) → still known as started after reopening; answered clears it. */
import { test, expect, onTestFinished } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openBufferDatabase } from './buffer-database.ts';
import { CommandJournal } from './command-journal.ts';

test('a started command survives a reopen (the agent died while it ran); an answered one is forgotten', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shanshui-journal-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'buffer.db');
  let db = openBufferDatabase(file);
  let journal = new CommandJournal(db);
  journal.started('cmd-1');
  journal.started('cmd-2');
  journal.answered('cmd-2');
  db.close();
  db = openBufferDatabase(file);
  journal = new CommandJournal(db);
  expect([journal.wasStarted('cmd-1'), journal.wasStarted('cmd-2'), journal.wasStarted('cmd-3')]).toEqual([true, false, false]);
  journal.answered('cmd-1');
  expect(journal.wasStarted('cmd-1')).toBe(false);
  db.close();
});
