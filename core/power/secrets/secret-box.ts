/**
 * Credentials encrypted at rest with AES-256-GCM (NIST SP 800-38D): a fresh 96-bit nonce per
 * secret, the 128-bit tag checked on open, and the record's name bound in as additional
 * authenticated data so a ciphertext cannot be moved to another record.
 *
 * Sealed form: "dfs1.<key id>.<base64url(nonce | tag | ciphertext)>", where the key id is
 * the first 8 bytes of SHA-256(key): a wrong key is told apart from altered data.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { DragonflyError } from '../../shared/errors.ts';
import type { KeyProvider } from './key-provider.ts';

const PREFIX = 'dfs1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  readonly keyId: string;
  private readonly key: Buffer;
  private readonly keyDescription: string;

  constructor(key: Buffer, keyDescription = 'the configured key') {
    if (key.length !== 32) throw new DragonflyError('DF_ERR_INVALID', `AES-256 needs a 32-byte key, got ${key.length}`);
    this.key = Buffer.from(key);
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 16);
    this.keyDescription = keyDescription;
  }

  static async open(provider: KeyProvider): Promise<SecretBox> {
    return new SecretBox(await provider.getKey(), provider.description);
  }

  /** Encrypts `plaintext`; `context` (e.g. "hardware/rack1-node3/bmc") must be given again to open. */
  seal(plaintext: string, context = ''): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${PREFIX}.${this.keyId}.${Buffer.concat([nonce, cipher.getAuthTag(), ct]).toString('base64url')}`;
  }

  /** Decrypts what seal() produced; throws DF_ERR_FORBIDDEN for a wrong key or altered data. */
  open(sealed: string, context = ''): string {
    const [prefix, keyId, body, ...rest] = sealed.split('.');
    if (prefix !== PREFIX || !keyId || body === undefined || rest.length > 0) {
      throw new DragonflyError('DF_ERR_DECODE', `not a sealed secret (want "${PREFIX}.<key id>.<data>")`);
    }
    if (keyId !== this.keyId) {
      throw new DragonflyError(
        'DF_ERR_FORBIDDEN',
        `secret was encrypted with key ${keyId} but ${this.keyDescription} is key ${this.keyId}: wrong key (restore the original key file or re-enter the credential)`,
      );
    }
    const raw = Buffer.from(body, 'base64url');
    if (raw.length < NONCE_BYTES + TAG_BYTES) throw new DragonflyError('DF_ERR_DECODE', `sealed secret is ${raw.length} bytes, too short`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new DragonflyError('DF_ERR_FORBIDDEN', `secret failed authentication: the data was altered or belongs to another record than "${context}"`);
    }
  }
}
