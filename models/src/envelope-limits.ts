/** Size limits of the readings envelope (envelope.ts), apart from its schemas so a sender can use them without building those. */

/** Most readings one message may carry. */
export const MAX_READINGS_PER_MESSAGE = 1000;
/** Most values one reading may carry. */
export const MAX_VALUES_PER_READING = 64;
/** Latest epoch-ms timestamp taken (ECMAScript's last Date, year 275760): the one bound of envelope, one-pass and status/events alike. */
export const MAX_TIMESTAMP_MS = 8.64e15;
