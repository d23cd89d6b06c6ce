// The progress report: rates over the time since the last report, totals,
// checkpoints counted once however many readers hear of them, latest users.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeRecommendation, Progress } from './progress.ts';

const recommendation = (userId: string, scores: number[]) => ({
  userId,
  windowStart: 0,
  windowEnd: Date.parse('2024-01-01T01:00:00Z'),
  items: scores.map((score, i) => ({ productId: `p${i}`, score })),
});

test('a report gives records in and out per second since the last one, checkpoints, and the three latest users', () => {
  let now = 0;
  const progress = new Progress({ intervalMs: 0, now: () => now });
  progress.countIn('behaviour', 300);
  progress.countIn('profiles', 20);
  for (const id of [1, 2, 1]) progress.checkpointCompleted(id);
  for (const user of ['u1', 'u2', 'u3', 'u4', 'u2']) progress.recommendation(recommendation(user, [0.5]));
  progress.lateRecords = 2;
  now = 2000;
  const [summary, ...latest] = progress.lines();
  assert.equal(
    summary,
    'recommendation: in 160/s (behaviour 300, profiles 20), out 3/s (5), checkpoints 2, late 2, unknown products 0, dead letters 0',
  );
  assert.deepEqual(
    latest.map((l) => l.trim().split(' ')[0]),
    ['u2', 'u4', 'u3'],
  );
  progress.countIn('behaviour', 100);
  now = 3000;
  assert.match(progress.lines()[0]!, /^recommendation: in 100\/s \(behaviour 400, profiles 20\), out 0\/s \(5\)/);
});

test('a recommendation is shown with its first scores and how many there are', () => {
  assert.equal(
    describeRecommendation(recommendation('u7', [0.912, 0.5, 0.25]), 2),
    'u7 @2024-01-01T01:00:00.000Z: p0 0.91, p1 0.50, ... (3)',
  );
  assert.equal(describeRecommendation(recommendation('u7', []), 2), 'u7 @2024-01-01T01:00:00.000Z: (none)');
});
