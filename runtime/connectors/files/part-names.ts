// Part file names: `<prefix>-<subtask>-<counter><ext>` once committed, and a
// hidden `.<final name>.<uuid>.inprogress` before, so the counter a restarted
// writer must start above can be read from either.

export function partName(prefix: string, subtask: number, counter: number, extension: string): string {
  return `${prefix}-${subtask}-${counter}${extension}`;
}

export function inProgressName(finalName: string, uuid: string): string {
  return `.${finalName}.${uuid}.inprogress`;
}

/** The counter in a final or in-progress name of `subtask`'s part, or undefined for other files. */
export function partCounter(fileName: string, prefix: string, subtask: number): number | undefined {
  const match = /^\.?(.+?)-(\d+)-(\d+)\./.exec(fileName);
  if (!match || match[1] !== prefix || Number(match[2]) !== subtask) return undefined;
  return Number(match[3]);
}

/** The next counter after every part of `subtask` among `fileNames`. */
export function nextCounter(fileNames: Iterable<string>, prefix: string, subtask: number): number {
  let next = 0;
  for (const name of fileNames) {
    const counter = partCounter(name, prefix, subtask);
    if (counter !== undefined && counter >= next) next = counter + 1;
  }
  return next;
}
