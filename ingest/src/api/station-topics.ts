/** The MQTT topics of a station's device, as the API hands them out with its credentials (registering, rotating, provisioning). */
import { downTopic, upTopic } from '@shanshui/models';

export function stationTopics(stationId: string): { readings: string; status: string; events: string; config: string; command: string } {
  return {
    readings: upTopic(stationId, 'readings'),
    status: upTopic(stationId, 'status'),
    events: upTopic(stationId, 'events'),
    config: downTopic(stationId, 'config'),
    command: downTopic(stationId, 'command'),
  };
}
