/**
 * libsodium's sealed box (crypto_box_seal), which GitHub requires for Actions secrets, from the
 * audited @noble packages: an ephemeral X25519 key pair, nonce = BLAKE2b-192(ephemeral public key ‖
 * recipient public key), the shared key of crypto_box (HSalsa20 of the X25519 shared secret),
 * XSalsa20-Poly1305; the box is ephemeral public key ‖ MAC ‖ ciphertext.
 *
 * Its own bundle (dist/sealbox.js), required by ./seal only when a GitHub target is written, so
 * neither the extension's runtime nor the CLI carries the library until then. Imports nothing of
 * the core (a second copy of the core in sealbox.js would mean a second secret registry).
 * The @noble packages are ES modules: required at run time (Node 20.19+ requires ES modules;
 * esbuild bundles them), their types imported as ES module types.
 */
import type * as Ed25519 from '@noble/curves/ed25519.js' with { 'resolution-mode': 'import' };
import type * as Salsa from '@noble/ciphers/salsa.js' with { 'resolution-mode': 'import' };
import type * as Blake2 from '@noble/hashes/blake2.js' with { 'resolution-mode': 'import' };

/* eslint-disable @typescript-eslint/no-require-imports */
const { x25519 } = require('@noble/curves/ed25519.js') as typeof Ed25519;
const { hsalsa, xsalsa20poly1305 } = require('@noble/ciphers/salsa.js') as typeof Salsa;
const { blake2b } = require('@noble/hashes/blake2.js') as typeof Blake2;
/* eslint-enable @typescript-eslint/no-require-imports */

const KEY_BYTES = 32;
const NONCE_BYTES = 24;
/** "expand 32-byte k" as little-endian words (the Salsa20 sigma constant). */
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);

function words(bytes: Uint8Array): Uint32Array {
  const out = new Uint32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = (bytes[4 * i] as number) | ((bytes[4 * i + 1] as number) << 8) | ((bytes[4 * i + 2] as number) << 16) | ((bytes[4 * i + 3] as number) << 24);
  return out;
}

function bytes(w: Uint32Array): Uint8Array {
  const out = new Uint8Array(w.length * 4);
  for (let i = 0; i < w.length; i++) {
    const v = w[i] as number;
    out[4 * i] = v & 0xff;
    out[4 * i + 1] = (v >>> 8) & 0xff;
    out[4 * i + 2] = (v >>> 16) & 0xff;
    out[4 * i + 3] = (v >>> 24) & 0xff;
  }
  return out;
}

/** crypto_box_beforenm: HSalsa20(key = X25519(secret, public), input = 16 zero bytes). Refuses low-order keys (an all-zero shared secret). */
function boxKey(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const shared = x25519.getSharedSecret(secretKey, publicKey);
  if (shared.every((b) => b === 0)) throw new Error('the public key is not usable (low order)');
  const out = new Uint32Array(8);
  hsalsa(SIGMA, words(shared), new Uint32Array(4), out);
  shared.fill(0);
  return bytes(out);
}

function sealNonce(ephemeralPublic: Uint8Array, recipientPublic: Uint8Array): Uint8Array {
  const input = new Uint8Array(2 * KEY_BYTES);
  input.set(ephemeralPublic, 0);
  input.set(recipientPublic, KEY_BYTES);
  return blake2b(input, { dkLen: NONCE_BYTES });
}

/** crypto_box_seal(message, recipientPublicKey). */
export function seal(message: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array {
  if (recipientPublicKey.length !== KEY_BYTES) throw new Error(`the public key has ${recipientPublicKey.length} bytes, not ${KEY_BYTES}`);
  const ephemeral = x25519.keygen();
  const key = boxKey(ephemeral.secretKey, recipientPublicKey);
  const boxed = xsalsa20poly1305(key, sealNonce(ephemeral.publicKey, recipientPublicKey)).encrypt(message);
  key.fill(0);
  ephemeral.secretKey.fill(0);
  const out = new Uint8Array(KEY_BYTES + boxed.length);
  out.set(ephemeral.publicKey, 0);
  out.set(boxed, KEY_BYTES);
  return out;
}

/** crypto_box_seal_open(box, recipientPublicKey, recipientSecretKey); throws when the box does not open. */
export function open(box: Uint8Array, recipientPublicKey: Uint8Array, recipientSecretKey: Uint8Array): Uint8Array {
  if (box.length < KEY_BYTES + 16) throw new Error('the box is too short');
  const ephemeralPublic = box.subarray(0, KEY_BYTES);
  const key = boxKey(recipientSecretKey, ephemeralPublic);
  try {
    return xsalsa20poly1305(key, sealNonce(ephemeralPublic, recipientPublicKey)).decrypt(box.subarray(KEY_BYTES));
  } finally {
    key.fill(0);
  }
}

/** The value as GitHub wants it: base64 of the sealed UTF-8 text, for a base64 public key. */
export function sealBase64(value: string, publicKeyBase64: string): string {
  const key = Buffer.from(publicKeyBase64, 'base64');
  const message = Buffer.from(value, 'utf8');
  try {
    return Buffer.from(seal(message, key)).toString('base64');
  } finally {
    message.fill(0);
  }
}
