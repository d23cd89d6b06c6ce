// Checkpoint storage on a local (or mounted) file system.
import { randomUUID } from 'node:crypto';
import { link, mkdir, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CheckpointFileNotFoundError, CheckpointStorageError, type CheckpointStorage } from './storage.ts';

export class FileCheckpointStorage implements CheckpointStorage {
  readonly baseUri: string;
  private readonly root: string;

  constructor(uri: string) {
    this.root = uri.startsWith('file://') ? fileURLToPath(uri) : uri;
    this.baseUri = pathToFileURL(this.root).href;
  }

  uriOf(path: string): string {
    return pathToFileURL(join(this.root, path)).href;
  }

  private full(path: string): string {
    return join(this.root, path);
  }

  async write(path: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
    const file = this.full(path);
    try {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, data);
    } catch (error) {
      throw new CheckpointStorageError(`cannot write ${this.uriOf(path)}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async writeIfAbsent(path: string, data: Uint8Array): Promise<boolean> {
    const file = this.full(path);
    const temporary = `${file}.inprogress-${randomUUID()}`;
    try {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(temporary, data, { flush: true });
      // link() publishes the complete file in one step and refuses to replace an existing one.
      await link(temporary, file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new CheckpointStorageError(`cannot write ${this.uriOf(path)}: ${(error as Error).message}`, {
        cause: error,
      });
    } finally {
      await unlink(temporary).catch(() => {});
    }
  }

  async read(path: string): Promise<Buffer> {
    try {
      return await readFile(this.full(path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CheckpointFileNotFoundError(this.uriOf(path));
      throw new CheckpointStorageError(`cannot read ${this.uriOf(path)}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await stat(this.full(path));
      return true;
    } catch {
      return false;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const files: string[] = [];
    // Walked by hand: checkpoints are written and old ones deleted while a listing runs, and an
    // entry that vanishes mid-walk must be skipped, not fail the listing or empty it.
    const walk = async (directory: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(directory, { withFileTypes: true });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw new CheckpointStorageError(`cannot list ${pathToFileURL(directory).href}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      for (const entry of entries) {
        const full = join(directory, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile() && !entry.name.includes('.inprogress-')) {
          files.push(relative(this.root, full).split(sep).join('/'));
        }
      }
    };
    await walk(this.full(prefix));
    return files.sort();
  }

  async deleteAll(prefix: string): Promise<void> {
    await rm(this.full(prefix), { recursive: true, force: true });
  }
}
