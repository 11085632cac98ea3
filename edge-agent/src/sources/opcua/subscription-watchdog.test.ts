/** When a subscription must be built again: silence past the watchdog, or a reason the server gave. */
import { test, expect } from 'vitest';
import { subscriptionCounts, SubscriptionWatchdog } from './subscription-watchdog.ts';

const UP = { established: true, busy: false, hasSession: true, connected: true };

test('silence longer than watchdogMs while connected is due; activity resets it', () => {
  const w = new SubscriptionWatchdog(1000, 0);
  expect(w.due(UP, 1000)).toBeUndefined();
  expect(w.due(UP, 1001)).toBe('no data change or keep-alive for 1001 ms');
  w.touch(1001);
  expect(w.due(UP, 2000)).toBeUndefined();
});

test('nothing is due before the first session, while busy (rebuilding, node-opcua reconnecting) or while disconnected with a session', () => {
  const w = new SubscriptionWatchdog(1000, 0);
  w.request('terminated');
  expect(w.due({ ...UP, established: false }, 5000)).toBeUndefined();
  expect(w.due({ ...UP, busy: true }, 5000)).toBeUndefined();
  w.clearRequest();
  expect(w.due({ ...UP, connected: false }, 5000)).toBeUndefined();
  expect(w.due({ ...UP, connected: false, hasSession: false }, 5000)).toBe('no session');
});

test('a reason the server gave is due at the next check, silent or not, until cleared', () => {
  const w = new SubscriptionWatchdog(1000, 0);
  w.request('subscription status BadTimeout');
  expect(w.due(UP, 1)).toBe('subscription status BadTimeout');
  w.clearRequest();
  expect(w.due(UP, 1)).toBeUndefined();
});

test('a keep-alive the server revised beyond the watchdog widens it to two keep-alive periods', () => {
  const w = new SubscriptionWatchdog(1000, 0);
  expect(w.fitKeepAlive(300)).toBe(false);
  expect(w.effectiveMs).toBe(1000);
  expect(w.fitKeepAlive(2000)).toBe(true);
  expect(w.effectiveMs).toBe(4000);
  expect(w.due(UP, 3999)).toBeUndefined();
  expect(w.checkEveryMs).toBe(250);
});

test('keep-alive count: three keep-alives per watchdog period, at least 2; lifetime at least 5 minutes and 3 keep-alives', () => {
  expect(subscriptionCounts(30_000, 1000)).toEqual({ keepAliveCount: 10, lifetimeCount: 300 });
  expect(subscriptionCounts(1000, 1000)).toEqual({ keepAliveCount: 2, lifetimeCount: 300 });
  expect(subscriptionCounts(3_000_000, 100_000)).toEqual({ keepAliveCount: 10, lifetimeCount: 30 });
});
