// Joins behaviour events, keyed by product, with the product version in force
// at their event time (events wait for the product stream's event time to pass
// theirs); events of products the catalogue does not know go to a side output.
import { mapState, OutputTag, valueState, type KeyedCoProcessFunction, type MapState, type ValueState } from 'brook';
import { ACTION_WEIGHT, type BehaviourEvent } from './events.ts';
import type { ProductFeatures } from './features.ts';
import type { EnrichedInteraction } from './similarity.ts';
import { versionAt, withoutVersionsBefore, withVersion } from './versions.ts';

/** Behaviour events whose product had no catalogue entry at their time. */
export const unknownProducts = new OutputTag<BehaviourEvent>('unknown-products');

type ProductEnrichment = KeyedCoProcessFunction<string, BehaviourEvent, ProductFeatures, EnrichedInteraction> & {
  versions?: ValueState<ProductFeatures[]>;
  /** Events waiting for event time to pass theirs, by event time. */
  pending?: MapState<number, BehaviourEvent[]>;
};

/** A fresh KeyedCoProcessFunction: behaviour events (input 1) joined with product features (input 2). */
export function productEnrichment(): ProductEnrichment {
  return {
    open(ctx) {
      this.versions = ctx.getState(valueState<ProductFeatures[]>('product-versions'));
      this.pending = ctx.getMapState(mapState<number, BehaviourEvent[]>('pending-events'));
    },
    processElement1(event, ctx) {
      this.pending!.put(event.timestamp, [...(this.pending!.get(event.timestamp) ?? []), event]);
      ctx.timerService().registerEventTimeTimer(event.timestamp);
    },
    processElement2(product, ctx) {
      const versions = withVersion(this.versions!.value() ?? [], product);
      this.versions!.update(withoutVersionsBefore(versions, ctx.timerService().currentWatermark()));
    },
    onTimer(timestamp, ctx, out) {
      const events = this.pending!.get(timestamp);
      if (!events) return;
      this.pending!.remove(timestamp);
      const versions = this.versions!.value() ?? [];
      const product = versionAt(versions, timestamp);
      for (const event of events) {
        if (!product) ctx.output(unknownProducts, event);
        else
          out.collect({
            userId: event.userId,
            productId: event.productId,
            weight: ACTION_WEIGHT[event.action],
            timestamp: event.timestamp,
            product,
          });
      }
      if (versions.length > 1) this.versions!.update(withoutVersionsBefore(versions, timestamp));
    },
  };
}
