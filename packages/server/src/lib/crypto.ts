import { createCipheriv, createDecipheriv, createHash, randomBytes, randomFillSync, scrypt, timingSafeEqual } from 'node:crypto';

const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SEALED_PREFIX = 'v1:';

/**
 * Secrets we must read back later (webhook secrets, credential headers, service-account keys) are sealed
 * with AES-256-GCM under FC_SECRET_KEY. Format: `v1:` + base64(iv | tag | ciphertext). The key version
 * prefix leaves room for key rotation. `context` is bound as associated data so a sealed value copied into
 * another row or column does not decrypt there.
 */
export function sealSecret(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return SEALED_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
}

/** Opens a value sealed by `sealSecret` with the same key and context; throws when it was tampered with. */
export function openSecret(key: Buffer, sealed: string, context: string): string {
  if (!sealed.startsWith(SEALED_PREFIX)) throw new Error('unknown sealed secret format');
  const raw = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64');
  const iv = raw.subarray(0, IV_BYTES);
  const tag = raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv(CIPHER, key, iv);
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
}

// OWASP's scrypt guidance: N=2^17, r=8, p=1 (128 MiB). maxmem must allow 128*N*r bytes. Tests lower N
// through config (FC_SCRYPT_LOG_N) only to keep the suite fast; the hash records its own parameters.
export const DEFAULT_SCRYPT_LOG_N = 17;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SCRYPT_KEY_BYTES = 32;
const SCRYPT_SALT_BYTES = 16;
const SCRYPT_MAXMEM_BYTES = 256 * 1024 * 1024;

function deriveKey(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, SCRYPT_KEY_BYTES, { N: n, r, p, maxmem: SCRYPT_MAXMEM_BYTES }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

/** Hashes a password with scrypt; the parameters travel with the hash so they can be raised later. */
export async function hashPassword(password: string, logN = DEFAULT_SCRYPT_LOG_N): Promise<string> {
  const salt = randomBytes(SCRYPT_SALT_BYTES);
  const n = 2 ** logN;
  const key = await deriveKey(password, salt, n, SCRYPT_R, SCRYPT_P);
  return `scrypt$${n}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Constant-time check of a password against a stored scrypt hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, expected] = parts as [string, string, string, string, string, string];
  const expectedKey = Buffer.from(expected, 'base64');
  const cost = { n: Number(n), r: Number(r), p: Number(p) };
  // Refuse absurd parameters from a corrupted row instead of burning CPU or memory on them.
  if (![cost.n, cost.r, cost.p].every(Number.isInteger) || cost.n > 2 ** 20 || cost.r > 32 || cost.p > 16) return false;
  const key = await deriveKey(password, Buffer.from(salt, 'base64'), cost.n, cost.r, cost.p);
  return key.length === expectedKey.length && timingSafeEqual(key, expectedKey);
}

const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomPoolOffset = 0;

/**
 * `bytes` fresh bytes from the CSPRNG as base64url. A chat turn draws five ids and a token, and one
 * `randomBytes` call costs about as much as filling a few kilobytes, so bytes are drawn from a pool that
 * `randomFillSync` refills 4 KiB at a time (as nanoid does); every byte is handed out once.
 */
export function randomBase64url(bytes: number): string {
  if (bytes > RANDOM_POOL_BYTES) return randomBytes(bytes).toString('base64url');
  if (randomPoolOffset + bytes > randomPool.length) {
    randomPool = randomFillSync(Buffer.allocUnsafeSlow(RANDOM_POOL_BYTES));
    randomPoolOffset = 0;
  }
  const value = randomPool.toString('base64url', randomPoolOffset, randomPoolOffset + bytes);
  randomPoolOffset += bytes;
  return value;
}

/** A random bearer token (session cookie, API key body, conversation token): 256 bits, base64url. */
export function newToken(bytes = 32): string {
  return randomBase64url(bytes);
}

/** Tokens are stored as their SHA-256, so a database leak does not leak usable credentials. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** Constant-time string comparison for tokens of the same format. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
