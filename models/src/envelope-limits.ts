/** Size limits of the readings envelope (envelope.ts), apart from its schemas so a sender can use them without building those. */

/** Most readings one message may carry. */
export const MAX_READINGS_PER_MESSAGE = 1000;
/** Most values one reading may carry. */
export const MAX_VALUES_PER_READING = 64;
