// Connects each user's window features with the profile version in force at
// the window's end; the features wait (event-time timer) until the profile
// stream's event time has passed it too, whichever stream ran ahead.
import { mapState, valueState, type KeyedCoProcessFunction, type MapState, type ValueState } from 'brook';
import { userFeatureVector, type BehaviourFeatures, type ProfileFeatures, type UserFeatureVector } from './features.ts';
import { versionAt, withoutVersionsBefore, withVersion } from './versions.ts';

type UserFeatureMerge = KeyedCoProcessFunction<string, BehaviourFeatures, ProfileFeatures, UserFeatureVector> & {
  /** Profile versions still needed, by updatedAt. */
  profiles?: ValueState<ProfileFeatures[]>;
  /** Window features waiting for event time to pass their window's end, by window end. */
  pending?: MapState<number, BehaviourFeatures>;
};

/** A fresh KeyedCoProcessFunction: window features (input 1) joined with profile features (input 2). */
export function userFeatureMerge(): UserFeatureMerge {
  return {
    open(ctx) {
      this.profiles = ctx.getState(valueState<ProfileFeatures[]>('profile-versions'));
      this.pending = ctx.getMapState(mapState<number, BehaviourFeatures>('pending-behaviour'));
    },
    processElement1(behaviour, ctx) {
      this.pending!.put(behaviour.windowEnd, behaviour);
      ctx.timerService().registerEventTimeTimer(behaviour.windowEnd - 1);
    },
    processElement2(profile, ctx) {
      // Windows still to come end after the watermark: older versions than the one in force then are done with.
      const versions = withVersion(this.profiles!.value() ?? [], profile);
      this.profiles!.update(withoutVersionsBefore(versions, ctx.timerService().currentWatermark()));
    },
    onTimer(timestamp, _ctx, out) {
      const windowEnd = timestamp + 1;
      const behaviour = this.pending!.get(windowEnd);
      if (!behaviour) return;
      this.pending!.remove(windowEnd);
      const versions = this.profiles!.value() ?? [];
      out.collect(userFeatureVector(behaviour, versionAt(versions, timestamp)));
      if (versions.length > 1) this.profiles!.update(withoutVersionsBefore(versions, timestamp));
    },
  };
}
