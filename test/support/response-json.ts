/**
 * A JSON body as a test receives it (HTTP response, webhook delivery). Tests read into it
 * freely and assert its shape with `expect`, so it is the one deliberate `any` of test support.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test's assertions are its type
export type ResponseJson = any;
