/**
 * Monitored items for the configured nodes, created in batches grouped by (sampling interval,
 * deadband): queue 10, discard oldest, an absolute DataChangeFilter when deadband > 0 (converted
 * to raw units: deadband / |scale|). Servers refuse deadbands on non-numeric nodes
 * (BadFilterNotAllowed): those items are created again without a filter, and that is logged.
 */
import type { Logger } from 'pino';
import { AttributeIds, DataChangeFilter, DataChangeTrigger, DeadbandType, StatusCodes, TimestampsToReturn } from 'node-opcua';
import type { ClientMonitoredItemBase, ClientSubscription, DataValue } from 'node-opcua';
import type { OpcuaItemConfig } from './data-change-readings.ts';

export const MONITORED_ITEMS_DEFAULTS = {
  /** Server-side queue per monitored item; the oldest value goes when it overflows. */
  queueSize: 10,
  /** Monitored items per CreateMonitoredItems request (servers limit MaxMonitoredItemsPerCall). */
  itemsPerCall: 500,
};

/** Sub-codes a server answers when it does not accept a DataChangeFilter on an item. */
const FILTER_REFUSED = new Set<number>([
  StatusCodes.BadFilterNotAllowed.value,
  StatusCodes.BadMonitoredItemFilterUnsupported.value,
  StatusCodes.BadMonitoredItemFilterInvalid.value,
  StatusCodes.BadDeadbandFilterInvalid.value,
]);

export interface MonitoredItemBatch {
  readonly samplingIntervalMs: number;
  /** Raw units (what the server compares). */
  readonly deadband: number;
  /** Indexes into the configured items. */
  readonly indexes: number[];
}

/** The configured deadband is in metric units (after scale); the server compares raw values. */
export function rawDeadband(item: Pick<OpcuaItemConfig, 'deadband' | 'scale'>): number {
  if (item.deadband <= 0 || item.scale === 0) return 0;
  return item.deadband / Math.abs(item.scale);
}

/** The CreateMonitoredItems requests for `items`: one per (sampling interval, raw deadband), at most `itemsPerCall` items each. */
export function monitoredItemBatches(items: readonly Pick<OpcuaItemConfig, 'deadband' | 'scale' | 'samplingIntervalMs'>[], itemsPerCall = MONITORED_ITEMS_DEFAULTS.itemsPerCall): MonitoredItemBatch[] {
  const groups = new Map<string, MonitoredItemBatch>();
  items.forEach((item, index) => {
    const deadband = rawDeadband(item);
    const key = `${item.samplingIntervalMs}/${deadband}`;
    const group = groups.get(key) ?? { samplingIntervalMs: item.samplingIntervalMs, deadband, indexes: [] };
    group.indexes.push(index);
    groups.set(key, group);
  });
  const batches: MonitoredItemBatch[] = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.indexes.length; i += itemsPerCall) batches.push({ ...group, indexes: group.indexes.slice(i, i + itemsPerCall) });
  }
  return batches;
}

/** Creates the monitored items of `items` on `subscription`; `onChange(index, value)` gets every data change. Returns how many the server accepted. */
export async function monitorItems(subscription: ClientSubscription, items: readonly OpcuaItemConfig[], onChange: (index: number, dataValue: DataValue) => void, log: Logger): Promise<number> {
  let created = 0;
  const filterRefused: MonitoredItemBatch[] = [];
  for (const batch of monitoredItemBatches(items)) {
    const result = await monitorBatch(subscription, items, batch, onChange, log);
    created += result.created;
    if (result.filterRefused.length > 0) filterRefused.push({ samplingIntervalMs: batch.samplingIntervalMs, deadband: 0, indexes: result.filterRefused });
  }
  for (const batch of filterRefused) {
    log.info({ nodeIds: batch.indexes.map((i) => items[i]?.nodeId) }, 'server refused the deadband filter (non-analog node?); reporting every change instead');
    created += (await monitorBatch(subscription, items, batch, onChange, log)).created;
  }
  log.info({ items: items.length, monitored: created }, 'monitored items created');
  return created;
}

async function monitorBatch(
  subscription: ClientSubscription,
  items: readonly OpcuaItemConfig[],
  batch: MonitoredItemBatch,
  onChange: (index: number, dataValue: DataValue) => void,
  log: Logger,
): Promise<{ created: number; filterRefused: number[] }> {
  const { indexes, deadband } = batch;
  const group = await subscription.monitorItems(
    indexes.map((i) => ({ nodeId: items[i]!.nodeId, attributeId: AttributeIds.Value })),
    {
      samplingInterval: batch.samplingIntervalMs,
      queueSize: MONITORED_ITEMS_DEFAULTS.queueSize,
      discardOldest: true,
      ...(deadband > 0 ? { filter: new DataChangeFilter({ trigger: DataChangeTrigger.StatusValue, deadbandType: DeadbandType.Absolute, deadbandValue: deadband }) } : {}),
    },
    TimestampsToReturn.Both,
  );
  // Attached in the same turn as the CreateMonitoredItems response, before any publish response.
  group.on('changed', (_item: ClientMonitoredItemBase, dataValue: DataValue, position: number) => {
    const index = indexes[position];
    if (index !== undefined) onChange(index, dataValue);
  });
  let created = 0;
  const filterRefused: number[] = [];
  group.monitoredItems.forEach((monitoredItem, position) => {
    const index = indexes[position]!;
    const status = monitoredItem.statusCode;
    if (status.isGood()) created += 1;
    else if (deadband > 0 && FILTER_REFUSED.has((status.value & 0xffff0000) >>> 0)) filterRefused.push(index);
    else log.warn({ nodeId: items[index]?.nodeId, status: status.name }, 'server refused a monitored item');
  });
  return { created, filterRefused };
}
