// Asynchronous snapshots, heap and lmdb: a snapshot taken at a barrier keeps
// showing the state of that moment while records go on changing it in every
// way the state kinds allow (in place included), and the live state is never
// disturbed by the snapshot. Checked against an independent model of each key.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SeededRandom } from '../connectors/random.ts';
import { aggregatingState, listState, mapState, reducingState, stateTtl, valueState } from './descriptors.ts';
import { keyId } from './key.ts';
import { keyGroupRangeForSubtask } from './key-groups.ts';
import { KeyedStateBackend } from './keyed-state-backend.ts';
import type { KeyGroupSnapshot } from './keyed-snapshot.ts';
import { LmdbStateEnvironment } from './lmdb-store.ts';

const MAX_PARALLELISM = 32;

interface Profile {
  visits: number;
  tags: string[];
}

interface KeyModel {
  profile?: Profile;
  events: number[];
  scores: Map<string, number>;
  average?: { sum: number; count: number };
  total?: number;
}

function openStates(backend: KeyedStateBackend) {
  const access = backend.stateAccess();
  return {
    profile: access.getState(valueState<Profile>('profile')),
    events: access.getListState(listState<number>('events')),
    scores: access.getMapState(mapState<string, number>('scores')),
    // The accumulator is changed in place and returned, as many user functions do.
    average: access.getAggregatingState(
      aggregatingState<number, { sum: number; count: number }, number>('average', {
        createAccumulator: () => ({ sum: 0, count: 0 }),
        add: (value, acc) => {
          acc.sum += value;
          acc.count++;
          return acc;
        },
        getResult: (acc) => acc.sum / acc.count,
        merge: (a, b) => ({ sum: a.sum + b.sum, count: a.count + b.count }),
      }),
    ),
    total: access.getReducingState(reducingState<number>('total', (a, b) => a + b)),
  };
}

/** One random change to `key`, applied to the backend and to the model alike. */
function change(
  states: ReturnType<typeof openStates>,
  model: KeyModel,
  random: SeededRandom,
  backend: 'heap' | 'lmdb',
): void {
  const n = random.int(0, 100);
  switch (random.int(0, 7)) {
    case 0: {
      // Read, change in place, write back: the pattern copy-on-write must survive.
      const profile = states.profile.value() ?? { visits: 0, tags: [] };
      profile.visits++;
      profile.tags.push(`t${n}`);
      states.profile.update(profile);
      model.profile = { visits: (model.profile?.visits ?? 0) + 1, tags: [...(model.profile?.tags ?? []), `t${n}`] };
      return;
    }
    case 1: {
      // Changed in place without update(): visible with the heap backend only, as in Flink (heap vs RocksDB).
      const profile = states.profile.value();
      if (!profile || backend === 'lmdb') return;
      profile.visits += 10;
      model.profile = { ...model.profile!, visits: model.profile!.visits + 10 };
      return;
    }
    case 2:
      states.events.add(n);
      model.events = [...model.events, n];
      return;
    case 3:
      states.scores.put(`s${n % 5}`, n);
      model.scores = new Map(model.scores).set(`s${n % 5}`, n);
      return;
    case 4:
      states.scores.remove(`s${n % 5}`);
      model.scores = new Map(model.scores);
      model.scores.delete(`s${n % 5}`);
      return;
    case 5:
      states.average.add(n);
      model.average = { sum: (model.average?.sum ?? 0) + n, count: (model.average?.count ?? 0) + 1 };
      return;
    case 6:
      states.total.add(n);
      model.total = (model.total ?? 0) + n;
      return;
    default:
      if (n < 20) {
        states.events.clear();
        states.profile.clear();
        model.events = [];
        delete model.profile;
      } else {
        states.events.update([n, n + 1]);
        model.events = [n, n + 1];
      }
  }
}

/** The snapshot's content per state name and key id, in the model's terms. */
function decode(groups: KeyGroupSnapshot[]): Map<string, KeyModel> {
  const byKey = new Map<string, KeyModel>();
  const at = (id: string) => {
    let model = byKey.get(id);
    if (!model) byKey.set(id, (model = { events: [], scores: new Map() }));
    return model;
  };
  for (const group of groups) {
    for (const { name, entries } of group.states) {
      for (const [id, , value] of entries) {
        const model = at(String(id));
        if (name === 'profile') model.profile = value as Profile;
        else if (name === 'events') model.events = value as number[];
        else if (name === 'scores') model.scores = value as Map<string, number>;
        else if (name === 'average') model.average = value as { sum: number; count: number };
        else if (name === 'total') model.total = value as number;
      }
    }
  }
  return byKey;
}

function modelWithout(models: Map<string, KeyModel>): Map<string, KeyModel> {
  const result = new Map<string, KeyModel>();
  for (const [key, m] of models) {
    const empty = !m.profile && m.events.length === 0 && m.scores.size === 0 && !m.average && m.total === undefined;
    if (!empty) result.set(keyId(key) as string, structuredClone(m));
  }
  return result;
}

const root = mkdtempSync(join(tmpdir(), 'brook-cow-'));
after(() => rmSync(root, { recursive: true, force: true }));

for (const [seed, kind] of [
  [1, 'heap'],
  [2, 'heap'],
  [3, 'heap'],
  [1, 'lmdb'],
  [2, 'lmdb'],
] as const) {
  test(`a snapshot read group by group while every state kind keeps changing shows exactly the state at the barrier (seed ${seed}, ${kind})`, async () => {
    const stores = kind === 'lmdb' ? new LmdbStateEnvironment(join(root, `seed-${seed}`)) : undefined;
    const backend = new KeyedStateBackend({
      keyGroupRange: keyGroupRangeForSubtask(MAX_PARALLELISM, 1, 0),
      maxParallelism: MAX_PARALLELISM,
      now: () => 0,
      stores,
    });
    const states = openStates(backend);
    const random = new SeededRandom().reset(seed);
    const models = new Map<string, KeyModel>();
    const step = () => {
      const key = `user-${random.int(0, 120)}`;
      backend.setCurrentKey(key);
      let model = models.get(key);
      if (!model) models.set(key, (model = { events: [], scores: new Map() }));
      change(states, model, random, kind);
    };

    for (let i = 0; i < 3000; i++) step();
    const atBarrier = modelWithout(models);
    const snapshot = backend.snapshot();
    const read: KeyGroupSnapshot[] = [];
    for (const keyGroup of snapshot.keyGroups) {
      // Records keep changing state between the groups the snapshot writes out.
      for (let i = 0; i < 40; i++) step();
      read.push({
        keyGroup,
        states: structuredClone(snapshot.statesOf(keyGroup)),
        eventTimers: [],
        processingTimers: [],
      });
      snapshot.releaseGroup(keyGroup);
    }
    snapshot.release();
    assert.deepEqual(decode(read), atBarrier);

    // The live state went on independently: it equals the model after every change.
    for (let i = 0; i < 500; i++) step();
    const live = backend.snapshot();
    const now = live.keyGroups.map((keyGroup) => ({
      keyGroup,
      states: structuredClone(live.statesOf(keyGroup)),
      eventTimers: [],
      processingTimers: [],
    }));
    live.release();
    assert.deepEqual(decode(now), modelWithout(models));
    await stores?.dispose();
  });
}

for (const kind of ['heap', 'lmdb'] as const)
  test(`a TTL read that refreshes an entry, and cleanup of expired entries, leave the running snapshot as it was (${kind})`, async () => {
    let now = 0;
    const stores = kind === 'lmdb' ? new LmdbStateEnvironment(join(root, 'ttl')) : undefined;
    const backend = new KeyedStateBackend({
      keyGroupRange: keyGroupRangeForSubtask(MAX_PARALLELISM, 1, 0),
      maxParallelism: MAX_PARALLELISM,
      now: () => now,
      stores,
    });
    const access = backend.stateAccess();
    const ttl = stateTtl(100, { updateType: 'on-read-and-write', cleanupEntriesPerAccess: 1000 });
    const seen = access.getState(valueState<string>('seen', { ttl }));
    const items = access.getListState(listState<string>('items', { ttl }));
    for (let i = 0; i < 50; i++) {
      backend.setCurrentKey(`k${i}`);
      seen.update(`v${i}`);
      items.add(`a${i}`);
    }
    const snapshot = backend.snapshot();
    now = 50;
    backend.setCurrentKey('k0');
    assert.equal(seen.value(), 'v0'); // refreshes k0's clock to 50
    now = 120;
    backend.setCurrentKey('k1');
    seen.update('fresh'); // runs cleanup over the others, expired by now
    items.add('b1');

    const groups = snapshot.keyGroups.map((keyGroup) => {
      const states = structuredClone(snapshot.statesOf(keyGroup));
      snapshot.releaseGroup(keyGroup);
      return states;
    });
    const entries = groups.flat().flatMap((s) => s.entries.map(([key, , value]) => [s.name, key, value] as const));
    assert.equal(entries.length, 100, 'every entry of the barrier is in the snapshot');
    for (const [, , value] of entries) {
      const stored = value as { lastAccess: number } | { lastAccess: number }[];
      for (const entry of Array.isArray(stored) ? stored : [stored]) assert.equal(entry.lastAccess, 0);
    }
    backend.setCurrentKey('k0');
    assert.equal(seen.value(), 'v0', 'the refreshed entry is alive in the live state');
    backend.setCurrentKey('k1');
    assert.deepEqual(items.get(), ['b1']);
    snapshot.release();
    await stores?.dispose();
  });
