// Part files on a local (or mounted) file system: written as a hidden
// `.…inprogress` file, fsynced at pre-commit, renamed atomically on commit.
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileSinkCommitError, FileSinkWriteError } from './errors.ts';
import { inProgressName, nextCounter } from './part-names.ts';
import type { OpenPart, PartCommittable, PartStore } from './part-store.ts';

const code = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;

export class LocalPartStore implements PartStore {
  private readonly base: string;

  constructor(
    path: string,
    private readonly sinkName: string,
  ) {
    this.base = path.startsWith('file://') ? fileURLToPath(path) : path;
  }

  uriOf(path: string): string {
    return `file://${join(this.base, path)}`;
  }

  async nextCounter(bucketId: string, prefix: string, subtask: number): Promise<number> {
    try {
      return nextCounter(await readdir(join(this.base, bucketId)), prefix, subtask);
    } catch (error) {
      if (code(error) === 'ENOENT') return 0;
      throw new FileSinkWriteError(this.sinkName, 'list', this.uriOf(bucketId), { cause: error });
    }
  }

  async open(bucketId: string, finalName: string): Promise<OpenPart> {
    const directory = join(this.base, bucketId);
    const inProgress = join(directory, inProgressName(finalName, randomUUID()));
    const uri = `file://${inProgress}`;
    const fail = (action: string, error: unknown) =>
      new FileSinkWriteError(this.sinkName, action, uri, { cause: error });
    let handle;
    try {
      await mkdir(directory, { recursive: true });
      handle = await open(inProgress, 'wx');
    } catch (error) {
      throw fail('create', error);
    }
    const file = handle;
    return {
      async write(data) {
        try {
          await file.writeFile(data);
        } catch (error) {
          throw fail('write', error);
        }
      },
      seal: async () => {
        try {
          await file.sync();
          await file.close();
        } catch (error) {
          throw fail('sync', error);
        }
        return { kind: 'file', inProgress, final: join(directory, finalName) };
      },
      async discard() {
        await file.close().catch(() => {});
        await rm(inProgress, { force: true });
      },
    };
  }

  async commit(committable: PartCommittable): Promise<void> {
    if (committable.kind !== 'file') throw new FileSinkCommitError(this.sinkName, this.base, 'not a local part');
    const { inProgress, final } = committable;
    try {
      await rename(inProgress, final);
    } catch (error) {
      // Committed before (this commit repeats after a restore): the part is already visible.
      if (
        code(error) === 'ENOENT' &&
        (await stat(final).then(
          () => true,
          () => false,
        ))
      )
        return;
      const detail =
        code(error) === 'ENOENT'
          ? `its in-progress file ${inProgress} is gone and the part was never committed`
          : String(error);
      throw new FileSinkCommitError(this.sinkName, `file://${final}`, detail, { cause: error });
    }
  }

  async abandon(committable: PartCommittable): Promise<void> {
    if (committable.kind === 'file') await rm(committable.inProgress, { force: true });
  }

  close(): void {}
}
