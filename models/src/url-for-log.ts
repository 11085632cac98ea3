/**
 * A URL as it may appear in a log line or the audit trail: `scheme://user:password@host` carries
 * the credentials of the broker or store it names (the external MQTT broker, Redis, InfluxDB), and
 * a webhook receiver's query often carries its token (企业微信 and 钉钉 robots: `?key=`,
 * `?access_token=`). Logs and the audit trail are read by more people than the configuration. The
 * user and password become `***`, and so does every query value; the scheme, host, port, path and
 * query names stay, so the line still says where the platform connects. A string that is not
 * `scheme://…` is returned as it is.
 */
export function urlForLog(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*@)?([^?#]*)(\?[^#]*)?(#.*)?$/i.exec(url);
  if (!m) return url;
  const [, scheme, credentials, rest, query] = m;
  const maskedQuery = query ? query.replace(/=[^&;]*/g, '=***') : '';
  return `${scheme}${credentials ? '***@' : ''}${rest}${maskedQuery}`;
}
