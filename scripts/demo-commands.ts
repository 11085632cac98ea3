/**
 * The commands `npm run demo` prints to try, as plain shell lines that work as pasted for the way
 * this demo was started: its ports, its data folder, and its InfluxDB — the managed one (its
 * platform user's password is in `influxdb/credentials.json`, 0600) or an external one
 * (`SHANSHUI_INFLUX_URL`), whose credentials the demo does not know, so it is read back
 * through the platform's API instead.
 */
import path from 'node:path';

export interface DemoCommandsOptions {
  /** The API's base URL, e.g. `http://localhost:8080`. */
  readonly api: string;
  /** The admin token file. */
  readonly tokenFile: string;
  /** The folder the commands are pasted in (the CLI's `./.data/admin-token` is relative to it). Default: the process's. */
  readonly cwd?: string;
  readonly influx: {
    readonly url: string;
    readonly database: string;
    /** Unset: an external InfluxDB. */
    readonly managedCredentialsFile?: string;
    /** The user the platform writes as (managed: the platform user). */
    readonly username?: string;
    /** An external InfluxDB that wants credentials (a user name or a token is configured). */
    readonly authenticated: boolean;
  };
  /** The demo gateway, when it runs. */
  readonly gateway?: { readonly stationId: string; readonly childStationId: string; readonly command: string };
}

export function demoCommands(o: DemoCommandsOptions): string[] {
  const cwd = o.cwd ?? process.cwd();
  const bearer = `-H "Authorization: Bearer $(cat ${o.tokenFile})"`;
  // The CLI's defaults are the demo's (http://localhost:8080, ./.data/admin-token): the flags appear only when moved.
  const cliFlags = [
    ...(o.api !== 'http://localhost:8080' ? [`--api ${o.api}`] : []),
    ...(path.resolve(cwd, o.tokenFile) !== path.resolve(cwd, '.data/admin-token') ? [`--token "$(cat ${o.tokenFile})"`] : []),
  ].join(' ');
  const cli = `npm run cli --${cliFlags ? ` ${cliFlags}` : ''}`;
  const q = '--data-urlencode "q=SELECT last(pm25) FROM air GROUP BY station"';
  const influx = o.influx.managedCredentialsFile
    ? // The managed influxd has authentication: the platform user's credentials are in the data folder (0600).
      `curl -s -G ${o.influx.url}/query --data-urlencode db=${o.influx.database} --data-urlencode u=${o.influx.username ?? ''} --data-urlencode "p=$(node -p "require('${o.influx.managedCredentialsFile}').platform.password")" ${q}`
    : o.influx.authenticated
      ? // An external InfluxDB with credentials the demo does not print: the same values through the API.
        `curl -s ${bearer} "${o.api}/api/v1/readings/latest?domain=air"`
      : `curl -s -G ${o.influx.url}/query --data-urlencode db=${o.influx.database} ${q}`;
  return [
    `curl -s ${o.api}/readyz`,
    `curl -s ${bearer} ${o.api}/api/v1/stations`,
    ...(o.gateway
      ? [
          `curl -s ${bearer} ${o.api}/api/v1/stations/${o.gateway.childStationId}/readings/latest`,
          // Remote control through the gateway to the simulated gate: the answer, then the outflow follows the opening.
          `${cli} command send ${o.gateway.stationId} ${o.gateway.command} --args '{"value":40}'`,
          `curl -s ${bearer} ${o.api}/api/v1/stations/${o.gateway.stationId}/readings/latest`,
        ]
      : []),
    influx,
  ];
}
