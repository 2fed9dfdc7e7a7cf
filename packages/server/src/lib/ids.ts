import { randomBase64url } from './crypto.js';

export type IdPrefix =
  | 'cus' | 'usr' | 'ses' | 'key' | 'bot' | 'kb' | 'conv' | 'msg' | 'lead' | 'esc' | 'evt' | 'wh'
  | 'dlv' | 'att' | 'rat' | 'rev' | 'lrn' | 'zap' | 'gs' | 'eml' | 'inv' | 'prs' | 'src' | 'crl';

const ID_RANDOM_BYTES = 12;

/** A prefixed random id such as `cus_Xq3…`: 96 random bits, base64url, so ids are URL-safe and unguessable. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBase64url(ID_RANDOM_BYTES)}`;
}

const ID_PATTERN = /^[a-z]{2,4}_[A-Za-z0-9_-]{8,40}$/;

/** True when `value` looks like one of our ids with the given prefix (cheap format check before a lookup). */
export function isId(value: string, prefix: IdPrefix): boolean {
  return value.startsWith(`${prefix}_`) && ID_PATTERN.test(value);
}
