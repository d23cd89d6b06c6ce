// The recommendation pipeline: behaviour windows + profiles -> user feature
// vectors; behaviour + products -> windowAll item similarity -> broadcast;
// vectors + similarities -> the top N per user.
import {
  OutputTag,
  SlidingEventTimeWindows,
  type DataStream,
  type ProcessWindowFunction,
  type TimeWindow,
} from 'brook';
import type { BehaviourEvent, Product, UserProfile } from './events.ts';
import {
  behaviourAggregate,
  behaviourFeatures,
  productFeatures,
  profileFeatures,
  type BehaviourAccumulator,
  type BehaviourFeatures,
} from './features.ts';
import { productEnrichment, unknownProducts } from './product-enrichment.ts';
import { recommender, similarityTables } from './recommender.ts';
import type { Recommendation } from './scoring.ts';
import type { Settings } from './settings.ts';
import {
  similarityAggregate,
  similarityTable,
  type SimilarityAccumulator,
  type SimilarityTable,
} from './similarity.ts';
import { userFeatureMerge } from './user-features.ts';

export interface PipelineInputs {
  behaviour: DataStream<BehaviourEvent>;
  profiles: DataStream<UserProfile>;
  products: DataStream<Product>;
}

export interface PipelineOutputs {
  recommendations: DataStream<Recommendation>;
  similarities: DataStream<SimilarityTable>;
  /** Behaviour events too late for their windows. */
  lateEvents: DataStream<BehaviourEvent>;
  /** Behaviour events of products the catalogue did not know at their time (left out of similarity). */
  unknownProducts: DataStream<BehaviourEvent>;
}

export const lateBehaviour = new OutputTag<BehaviourEvent>('late-behaviour');

const toBehaviourFeatures: ProcessWindowFunction<BehaviourAccumulator, BehaviourFeatures, string, TimeWindow> = {
  process(userId, ctx, accumulators, out) {
    for (const acc of accumulators) out.collect(behaviourFeatures(userId, ctx.window, acc));
  },
};

export function recommendationPipeline(inputs: PipelineInputs, settings: Settings): PipelineOutputs {
  const { size, slide } = settings.window;
  const windows = SlidingEventTimeWindows.of(size, slide);

  const behaviour = inputs.behaviour
    .keyBy((e) => e.userId)
    .window(windows)
    .sideOutputLateData(lateBehaviour)
    .aggregate(behaviourAggregate, toBehaviourFeatures)
    .uid('behaviour-features')
    .name('behaviour features');

  const profiles = inputs.profiles.map(profileFeatures).name('profile features');
  const userFeatures = behaviour
    .keyBy((f) => f.userId)
    .connect(profiles.keyBy((p) => p.userId))
    .process(userFeatureMerge())
    .uid('user-features')
    .name('user features');

  const products = inputs.products.map(productFeatures).name('product features');
  const interactions = inputs.behaviour
    .keyBy((e) => e.productId)
    .connect(products.keyBy((p) => p.productId))
    .process(productEnrichment())
    .uid('product-enrichment')
    .name('product enrichment');

  // windowAll's aggregate takes no window function; its results carry the window's last timestamp (end - 1).
  const similarities = interactions
    .windowAll(windows)
    .aggregate(similarityAggregate)
    .uid('item-similarity-window')
    .name('item co-occurrence')
    .process<SimilarityTable>({
      processElement(acc: SimilarityAccumulator, ctx, out) {
        const end = ctx.timestamp()! + 1;
        out.collect(similarityTable({ start: end - size, end }, acc, settings.similarity));
      },
    })
    .setParallelism(1)
    .name('item similarity');

  const { recommendations: r } = settings;
  const recommendations = userFeatures
    .keyBy((v) => v.userId)
    .connect(similarities.broadcast(similarityTables))
    .process(
      recommender({
        top: r.top,
        purchaseExclusionMs: r.purchaseExclusion,
        weights: r.weights,
        windowSizeMs: size,
        cacheTtlMs: r.cacheTtl,
      }),
    )
    .uid('recommender')
    .name('recommender');

  return {
    recommendations,
    similarities,
    lateEvents: behaviour.getSideOutput(lateBehaviour),
    unknownProducts: interactions.getSideOutput(unknownProducts),
  };
}
