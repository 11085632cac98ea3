/**
 * The last good agent config on disk (`config.json`, 0600), so a restarted agent runs what it
 * ran before even while the platform is out of reach.
 */
import type { Logger } from 'pino';
import type { AgentConfig } from '@shanshui/models/edge';
import { readOptionalFile, writePrivateFile } from './private-file.ts';
import { checkAgentConfig } from './remote-config.ts';

export class ConfigFile {
  readonly file: string;
  readonly #log: Logger | undefined;

  constructor(file: string, logger?: Logger) {
    this.file = file;
    this.#log = logger?.child({ component: 'config-file' });
  }

  /** The stored config, or undefined when there is none or it does not validate (logged). */
  load(): AgentConfig | undefined {
    const text = readOptionalFile(this.file);
    if (text === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.#log?.error({ file: this.file, err }, 'stored config is not JSON; ignored');
      return undefined;
    }
    const check = checkAgentConfig(value);
    if (!check.ok) {
      this.#log?.error({ file: this.file, reason: check.reason }, 'stored config does not validate; ignored');
      return undefined;
    }
    return check.config;
  }

  save(config: AgentConfig): void {
    writePrivateFile(this.file, `${JSON.stringify(config, null, 2)}\n`);
  }
}
