// The personalised recommender: user feature vectors keyed by user, connected
// with the broadcast similarity tables (by window end); keeps a TTL MapState
// cache of purchases so that bought items are not recommended again soon.
import {
  mapState,
  stateTtl,
  type KeyedBroadcastProcessFunction,
  type MapState,
  type ReadOnlyBroadcastState,
} from 'brook';
import type { UserFeatureVector } from './features.ts';
import { recentPurchases, recommend, type Recommendation, type ScoringSettings } from './scoring.ts';
import type { SimilarityTable } from './similarity.ts';

/** The broadcast state: similarity tables by window end. */
export const similarityTables = mapState<number, SimilarityTable>('item-similarities');

export interface RecommenderSettings extends ScoringSettings {
  /** The window size: tables this much older than event time are no longer needed. */
  windowSizeMs: number;
  /** Time to live (processing time) of the purchase cache's entries. */
  cacheTtlMs: number;
}

type Recommender = KeyedBroadcastProcessFunction<string, UserFeatureVector, SimilarityTable, Recommendation> & {
  /** Vectors waiting for event time to pass their window's end, by window end. */
  pending?: MapState<number, UserFeatureVector>;
  /** Product -> time of the user's latest purchase of it. */
  purchases?: MapState<string, number>;
};

/** The newest table whose window ended at or before `windowEnd`. */
export function tableAt(
  tables: ReadOnlyBroadcastState<number, SimilarityTable>,
  windowEnd: number,
): SimilarityTable | undefined {
  let best: SimilarityTable | undefined;
  for (const [end, table] of tables.entries()) if (end <= windowEnd && (!best || end > best.windowEnd)) best = table;
  return best;
}

/**
 * Each vector waits (keyed MapState, an event-time timer) until event time has passed its window's end, then
 * meets that window's similarity table, so the result does not depend on which input ran ahead. Tables more
 * than a window older than the watermark serve no vector still to come and are dropped; instances may drop
 * them at slightly different moments, which changes no result.
 */
export function recommender(settings: RecommenderSettings): Recommender {
  return {
    open(ctx) {
      this.pending = ctx.getMapState(mapState<number, UserFeatureVector>('pending-vectors'));
      this.purchases = ctx.getMapState(mapState<string, number>('purchases', { ttl: stateTtl(settings.cacheTtlMs) }));
    },
    processElement(vector, ctx) {
      this.pending!.put(vector.windowEnd, vector);
      ctx.timerService().registerEventTimeTimer(vector.windowEnd - 1);
    },
    processBroadcastElement(table, ctx) {
      const tables = ctx.getBroadcastState(similarityTables);
      tables.put(table.windowEnd, table);
      // Vectors still to come end after the watermark; a table a window older than that serves none of them.
      const horizon = ctx.currentWatermark() - settings.windowSizeMs;
      for (const [end] of tables.entries()) if (end <= horizon) tables.remove(end);
    },
    onTimer(timestamp, ctx, out) {
      const windowEnd = timestamp + 1;
      const vector = this.pending!.get(windowEnd);
      if (!vector) return;
      this.pending!.remove(windowEnd);
      for (const [productId, item] of vector.items) {
        if (item.purchasedAt === undefined) continue;
        const known = this.purchases!.get(productId);
        if (known === undefined || item.purchasedAt > known) this.purchases!.put(productId, item.purchasedAt);
      }
      const table = tableAt(ctx.getBroadcastState(similarityTables), windowEnd);
      const excluded = recentPurchases(this.purchases!.entries(), windowEnd, settings.purchaseExclusionMs);
      out.collect({
        userId: vector.userId,
        windowStart: vector.windowStart,
        windowEnd,
        items: recommend(vector, (id) => table?.neighbours.get(id), excluded, settings),
      });
    },
  };
}
