// Session windows of one key: which windows are active and which window's
// state each one uses, so merging windows only re-points state instead of
// copying it (Flink's MergingWindowSet).
import { cover, intersects, type TimeWindow } from './time-window.ts';

export type MergeCallback = (
  mergeResult: TimeWindow,
  mergedWindows: TimeWindow[],
  stateWindowResult: TimeWindow,
  mergedStateWindows: TimeWindow[],
) => void;

const same = (a: TimeWindow, b: TimeWindow) => a.start === b.start && a.end === b.end;

/** Groups windows that overlap (transitively); each group becomes the window covering it. */
export function mergeOverlapping(windows: TimeWindow[]): { result: TimeWindow; members: TimeWindow[] }[] {
  const sorted = [...windows].sort((a, b) => a.start - b.start);
  const groups: { result: TimeWindow; members: TimeWindow[] }[] = [];
  for (const window of sorted) {
    const last = groups.at(-1);
    if (last && intersects(last.result, window)) {
      last.result = cover(last.result, window);
      last.members.push(window);
    } else {
      groups.push({ result: window, members: [window] });
    }
  }
  return groups;
}

export class MergingWindowSet {
  /** Active window -> the window whose namespace holds its state. */
  private readonly mapping: [window: TimeWindow, stateWindow: TimeWindow][];

  constructor(persisted: [number, number, number, number][] = []) {
    this.mapping = persisted.map(([ws, we, ss, se]) => [
      { start: ws, end: we },
      { start: ss, end: se },
    ]);
  }

  persist(): [number, number, number, number][] {
    return this.mapping.map(([w, s]) => [w.start, w.end, s.start, s.end]);
  }

  get isEmpty(): boolean {
    return this.mapping.length === 0;
  }

  getStateWindow(window: TimeWindow): TimeWindow | undefined {
    return this.mapping.find(([w]) => same(w, window))?.[1];
  }

  /** The active window that starts at `start` (active windows never overlap, so starts are unique). */
  windowStartingAt(start: number): TimeWindow | undefined {
    return this.mapping.find(([w]) => w.start === start)?.[0];
  }

  retireWindow(window: TimeWindow): void {
    const index = this.mapping.findIndex(([w]) => same(w, window));
    if (index < 0) throw new Error(`window [${window.start}, ${window.end}) is not in the merging window set`);
    this.mapping.splice(index, 1);
  }

  private take(window: TimeWindow): TimeWindow | undefined {
    const index = this.mapping.findIndex(([w]) => same(w, window));
    if (index < 0) return undefined;
    return this.mapping.splice(index, 1)[0]![1];
  }

  /**
   * Adds `newWindow`, merging it with overlapping active windows. Returns the
   * window the new element belongs to; `onMerge` moves state and timers.
   */
  addWindow(newWindow: TimeWindow, onMerge: MergeCallback): TimeWindow {
    const groups = mergeOverlapping([...this.mapping.map(([w]) => w), newWindow]);
    let resultWindow = newWindow;
    let mergedNewWindow = false;
    for (const { result, members } of groups) {
      if (members.length <= 1) continue;
      const newIndex = members.findIndex((m) => m === newWindow);
      if (newIndex >= 0) {
        members.splice(newIndex, 1);
        mergedNewWindow = true;
        resultWindow = result;
      }
      const stateWindow = this.getStateWindow(members[0]!)!;
      const mergedStateWindows: TimeWindow[] = [];
      for (const member of members) {
        const state = this.take(member);
        if (state && !same(state, stateWindow)) mergedStateWindows.push(state);
      }
      this.mapping.push([result, stateWindow]);
      if (!(members.length === 1 && same(members[0]!, result)))
        onMerge(result, members, stateWindow, mergedStateWindows);
    }
    if (!mergedNewWindow) this.mapping.push([newWindow, newWindow]);
    return resultWindow;
  }
}
