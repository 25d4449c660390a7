/**
 * BMC and API credentials on disk, each sealed by a SecretBox under its own reference, in one
 * JSON file with mode 0600 written atomically (unique temp file, fsync, rename, fsync of the
 * directory) so a crash leaves the old or the new file, never a torn one.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DragonflyError } from '../../shared/errors.ts';
import type { SecretBox } from './secret-box.ts';

export interface Credential {
  username?: string;
  /** Password, API token secret or SecureOn password. */
  secret: string;
  /** Pinned TLS fingerprint or other non-secret detail kept with it. */
  [extra: string]: string | undefined;
}

interface StoreFile {
  version: 1;
  /** reference -> sealed JSON of the Credential; the reference is the AAD. */
  credentials: Record<string, string>;
}

export class CredentialStore {
  private readonly file: string;
  private readonly box: SecretBox;

  constructor(file: string, box: SecretBox) {
    this.file = file;
    this.box = box;
  }

  get(ref: string): Credential | undefined {
    const sealed = this.read().credentials[ref];
    return sealed === undefined ? undefined : (JSON.parse(this.box.open(sealed, ref)) as Credential);
  }

  set(ref: string, credential: Credential): void {
    const data = this.read();
    data.credentials[ref] = this.box.seal(JSON.stringify(credential), ref);
    this.write(data);
  }

  delete(ref: string): boolean {
    const data = this.read();
    if (!(ref in data.credentials)) return false;
    delete data.credentials[ref];
    this.write(data);
    return true;
  }

  refs(): string[] {
    return Object.keys(this.read().credentials);
  }

  private read(): StoreFile {
    if (!fs.existsSync(this.file)) return { version: 1, credentials: {} };
    const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Partial<StoreFile>;
    if (parsed.version !== 1 || typeof parsed.credentials !== 'object' || parsed.credentials === null) {
      throw new DragonflyError('DF_ERR_DECODE', `${this.file} is not a credential store (version 1)`);
    }
    return parsed as StoreFile;
  }

  private write(data: StoreFile): void {
    const dir = path.dirname(this.file);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(data, null, 2) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    if (process.platform !== 'win32') {
      const dfd = fs.openSync(dir, 'r');
      try {
        fs.fsyncSync(dfd);
      } finally {
        fs.closeSync(dfd);
      }
    }
  }
}
