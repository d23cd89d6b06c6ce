// Durations in operator settings, written the way Flink configuration writes
// them: "90s", "5 min", "1h", "2d", or a bare number of milliseconds.

const unitMs: Record<string, number> = {
  ms: 1,
  millis: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

/** Milliseconds of a duration such as "5 min", or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = match[2]!.toLowerCase();
  const factor = unit === '' ? 1 : unitMs[unit];
  return factor === undefined ? undefined : Number(match[1]) * factor;
}

/** The CEL regular expression that accepts exactly what parseDuration accepts. */
export const durationPattern = `(?i)^\\s*\\d+\\s*(${Object.keys(unitMs).join('|')})?\\s*$`;
