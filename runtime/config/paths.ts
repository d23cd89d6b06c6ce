// Paths into the configuration tree, as messages print them and as `--set`
// writes them: `checkpoints.interval`, `kafka.bootstrapServers[1]`,
// `logging.modules["runtime.checkpoint"]`.

export type ConfigPath = readonly (string | number)[];

const plainSegment = /^[A-Za-z_$][\w$-]*$/;

export function formatPath(path: ConfigPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (plainSegment.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text === '' ? '(root)' : text;
}

/** Parses `a.b[0].c` or `a["dotted.key"]`; returns a reason instead when the path is malformed. */
export function parsePath(text: string): { path: (string | number)[] } | { reason: string } {
  const path: (string | number)[] = [];
  let rest = text.trim();
  if (rest === '') return { reason: 'the key is empty' };
  let expectName = true;
  while (rest !== '') {
    if (rest.startsWith('[')) {
      const index = /^\[(\d+)\]/.exec(rest);
      const quoted = /^\[("(?:[^"\\]|\\.)*")\]/.exec(rest);
      if (index) {
        path.push(Number(index[1]));
        rest = rest.slice(index[0].length);
      } else if (quoted) {
        path.push(JSON.parse(quoted[1]!) as string);
        rest = rest.slice(quoted[0].length);
      } else {
        return { reason: `'${rest}' is not [index] or ["key"]` };
      }
      expectName = false;
    } else if (rest.startsWith('.')) {
      if (expectName) return { reason: 'a path segment is empty' };
      rest = rest.slice(1);
      expectName = true;
      if (rest === '' || rest.startsWith('.')) return { reason: 'a path segment is empty' };
    } else {
      if (!expectName) return { reason: `expected '.' or '[' before '${rest}'` };
      const name = /^[^.[\]]+/.exec(rest)![0];
      path.push(name);
      rest = rest.slice(name.length);
      expectName = false;
    }
  }
  return { path };
}
