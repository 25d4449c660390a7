/**
 * Where the 256-bit key that encrypts credentials at rest comes from.
 * - Headless: a key file in the data directory, created on first start with mode 0600 and
 *   refused if anyone but the owner can read it (the same rule ssh applies to private keys).
 * - Desktop: the key stored wrapped by Electron's safeStorage (OS keychain / DPAPI /
 *   libsecret), so the file on disk is useless without the user's login.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DragonflyError } from '../../shared/errors.ts';

export const KEY_BYTES = 32;

export interface KeyProvider {
  /** The 32-byte AES-256 key; creates it on first use where the provider can. */
  getKey(): Promise<Buffer>;
  /** Where the key lives, for error messages ("/var/lib/dragonfly/secrets.key"). */
  readonly description: string;
}

/** Writes `data` to a new file with mode 0600, durably (fsync), failing if it exists. */
function createPrivateFile(file: string, data: Buffer | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Refuses a key file that group or others may read or write (POSIX only). */
function assertPrivate(file: string): void {
  if (process.platform === 'win32') return;
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new DragonflyError(
      'DF_ERR_FORBIDDEN',
      `key file ${file} has mode ${mode.toString(8).padStart(4, '0')}; it must be readable by its owner only (chmod 600 ${file})`,
    );
  }
}

export class FileKeyProvider implements KeyProvider {
  readonly description: string;
  private readonly file: string;

  /** `file` default: <dataDir>/secrets.key. */
  constructor(dataDir: string, fileName = 'secrets.key') {
    this.file = path.join(dataDir, fileName);
    this.description = `key file ${this.file}`;
  }

  async getKey(): Promise<Buffer> {
    if (!fs.existsSync(this.file)) {
      try {
        createPrivateFile(this.file, randomBytes(KEY_BYTES).toString('base64') + '\n');
      } catch (err) {
        // Two instances starting at once: the other one won; read what it wrote.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    assertPrivate(this.file);
    return decodeKey(fs.readFileSync(this.file, 'utf8'), this.description);
  }
}

/** The subset of Electron's `safeStorage` this needs (so core never imports Electron). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

export class SafeStorageKeyProvider implements KeyProvider {
  readonly description: string;
  private readonly file: string;
  private readonly safeStorage: SafeStorageLike;

  /** `file`: where the wrapped key is kept, e.g. <userData>/secrets.key.wrapped. */
  constructor(safeStorage: SafeStorageLike, file: string) {
    this.safeStorage = safeStorage;
    this.file = file;
    this.description = `safeStorage-wrapped key ${file}`;
  }

  async getKey(): Promise<Buffer> {
    if (!this.safeStorage.isEncryptionAvailable()) {
      throw new DragonflyError('DF_ERR_UNAVAILABLE', 'the OS secret store (safeStorage) is not available; cannot unlock credentials');
    }
    if (!fs.existsSync(this.file)) {
      createPrivateFile(this.file, this.safeStorage.encryptString(randomBytes(KEY_BYTES).toString('base64')));
    }
    let text: string;
    try {
      text = this.safeStorage.decryptString(fs.readFileSync(this.file));
    } catch (err) {
      throw new DragonflyError('DF_ERR_FORBIDDEN', `cannot unwrap ${this.description}: ${(err as Error).message}`);
    }
    return decodeKey(text, this.description);
  }
}

function decodeKey(text: string, where: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new DragonflyError('DF_ERR_INTERNAL', `${where} does not hold a ${KEY_BYTES}-byte key (found ${key.length} bytes)`);
  }
  return key;
}
