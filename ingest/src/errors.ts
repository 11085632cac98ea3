/** Error catalogue of ingest: every refusal and failure the platform reports carries one of these codes. */

export const INGEST_ERRORS = {
  INGEST_ERR_PAYLOAD_UNDECODABLE: 'payload cannot be decoded',
  INGEST_ERR_PAYLOAD_INVALID: 'payload does not match the readings envelope',
  INGEST_ERR_READING_REJECTED: 'reading rejected',
  INGEST_ERR_FIELD_UNKNOWN: 'field not stored: the device sent a code or field the station does not know',
  INGEST_ERR_UNKNOWN_DEVICE: 'no station registered for this device',
  INGEST_ERR_SPOOL_FULL: 'spool full: publish refused, the device keeps the reading and retries',
  INGEST_ERR_SPOOL_CLOSED: 'spool closed',
  INGEST_ERR_SPOOL_WRITE: 'spool write incomplete: publish refused, the device keeps the reading and retries',
  INGEST_ERR_ACCEPT_CLOSED: 'the platform is stopping: publish refused, the device resends it',
  INGEST_ERR_STORAGE_REJECTED: 'InfluxDB refused the points',
  INGEST_ERR_CONFIG: 'invalid configuration',
  INGEST_ERR_INFLUXD_MISSING: 'influxd not found',
  INGEST_ERR_INFLUXD_PORT_BUSY: 'the managed influxd port is taken',
  INGEST_ERR_INFLUXD_IN_USE: 'the managed influxd data folder is in use',
  INGEST_ERR_INFLUXD_FAILED: 'the managed influxd did not start',
  INGEST_ERR_INFLUXD_AUTH: 'the managed influxd users could not be set up',
  INGEST_ERR_OUTBOUND_REFUSED: 'outbound connection refused',
  INGEST_ERR_ACCEPT_FAILED: 'the platform failed on this message (a defect of ours); its payload is kept here, to replay once that is fixed',
} as const;

export type IngestErrorCode = keyof typeof INGEST_ERRORS;

export class IngestError extends Error {
  readonly code: IngestErrorCode;
  constructor(code: IngestErrorCode, detail?: string, options?: ErrorOptions) {
    super(detail ? `${INGEST_ERRORS[code]}: ${detail}` : INGEST_ERRORS[code], options);
    this.name = 'IngestError';
    this.code = code;
  }
}
