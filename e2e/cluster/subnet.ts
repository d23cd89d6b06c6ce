// Pod IPs: each kubelet claims a 127.N.0.0/16 of its own (Linux routes all of
// 127/8 to the loopback interface, so any address in it can be bound without
// configuring anything), and gives its pods 127.N.x.y in turn, never reusing one.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Second octets tried; 127.0.0.0/16 is left to the host's own services (testenv listens on 127.0.0.1). */
const FIRST_OCTET = 16;
const LAST_OCTET = 254;

function claimsDir(): string {
  return join(tmpdir(), 'brook-process-kubelet', 'subnets');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tryCreate(file: string): boolean {
  try {
    const fd = openSync(file, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch {
    return false;
  }
}

function ownerIsGone(file: string): boolean {
  try {
    const owner = Number(readFileSync(file, 'utf8'));
    return Number.isInteger(owner) && owner > 0 && !alive(owner);
  } catch {
    return false;
  }
}

/** Claims a free /16 with a file created exclusively (a claim by a dead process is taken over). */
function claimOctet(): number {
  const dir = claimsDir();
  mkdirSync(dir, { recursive: true });
  const count = LAST_OCTET - FIRST_OCTET + 1;
  const start = Math.floor(Math.random() * count);
  for (let i = 0; i < count; i++) {
    const octet = FIRST_OCTET + ((start + i) % count);
    const file = join(dir, String(octet));
    if (tryCreate(file)) return octet;
    if (ownerIsGone(file)) {
      rmSync(file, { force: true });
      if (tryCreate(file)) return octet;
    }
  }
  throw new Error(`no free 127.N.0.0/16 for pod IPs: every claim under ${dir} is held by a live process`);
}

export class PodSubnet {
  readonly octet: number;
  private next = 1;

  constructor() {
    this.octet = claimOctet();
  }

  get cidr(): string {
    return `127.${this.octet}.0.0/16`;
  }

  /** The next unused address; .0 and .255 in the last octet are skipped. */
  allocate(): string {
    for (;;) {
      const n = this.next++;
      const third = Math.floor(n / 256);
      const fourth = n % 256;
      if (third > 255) throw new Error(`pod subnet ${this.cidr} is exhausted`);
      if (fourth !== 0 && fourth !== 255) return `127.${this.octet}.${third}.${fourth}`;
    }
  }

  release(): void {
    rmSync(join(claimsDir(), String(this.octet)), { force: true });
  }
}
