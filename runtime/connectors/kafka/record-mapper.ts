// Turns a sink element into the record to produce: topic (fixed or chosen per
// record), key and value bytes, and the element's event timestamp.
import type { MessageToProduce } from '@platformatic/kafka';
import type { SinkContext } from '../sink.ts';
import type { KafkaSinkSettings } from './config.ts';
import { serializerFor } from './serializers.ts';

export type RecordMapper<T> = (value: T, context: SinkContext) => MessageToProduce;

export function recordMapper<T>(settings: KafkaSinkSettings): RecordMapper<T> {
  const topic = settings.topic as string | ((value: T) => string);
  const key = settings.key as ((value: T) => unknown) | undefined;
  const value = settings.value as ((value: T) => unknown) | undefined;
  const keyBytes = serializerFor(settings.keyFormat, 'key');
  const valueBytes = serializerFor(settings.valueFormat, 'value');
  return (element, context) => {
    const timestamp = context.timestamp();
    return {
      topic: typeof topic === 'string' ? topic : topic(element),
      key: key ? keyBytes(key(element)) : undefined,
      value: valueBytes(value ? value(element) : element),
      timestamp: timestamp === undefined ? undefined : BigInt(Math.trunc(timestamp)),
    };
  };
}
