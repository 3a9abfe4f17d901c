// What a deploy signature covers, and the Ed25519 operations on it. Shared by the CLI (signs) and the
// gateway (verifies), so both build the statement from the same code.
//
// The statement binds the function name, the bundle's SHA-256, the manifest source's SHA-256 and the
// SHA-256 of the files the manifest references (the input schema). A signature over the bundle digest
// alone would let anyone pair a signed bundle with a more permissive manifest (wider permissions, no
// input schema) or deploy it under another function's name.

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { BulwarkError } from '../errors.ts';
import { sha256Hex } from '../store/store.ts';

const STATEMENT_HEADER = 'bulwark-deploy-signature/v1';

export interface SignedContent {
  /** Function name, from the manifest. */
  name: string;
  /** SHA-256 (hex) of the bundle bytes. */
  sha256: string;
  /** bulwark.yaml exactly as deployed. */
  manifestSource: string;
  /** Files the manifest references, by relative path. */
  files: Record<string, string>;
}

export interface DeploySignature {
  keyId: string;
  /** Ed25519 signature over signingStatement(), base64. */
  signature: string;
}

/** Digest of the referenced files: sorted by path, each path and content length-prefixed (no ambiguity). */
function filesDigest(files: Record<string, string>): string {
  const h = createHash('sha256');
  for (const path of Object.keys(files).sort()) {
    const p = Buffer.from(path, 'utf8');
    const c = Buffer.from(files[path]!, 'utf8');
    h.update(`${p.length}:`).update(p).update(`${c.length}:`).update(c);
  }
  return h.digest('hex');
}

/** The exact bytes a publisher signs: one field per line, in a fixed order. */
export function signingStatement(content: SignedContent): Buffer {
  return Buffer.from([
    STATEMENT_HEADER,
    `function ${content.name}`,
    `bundle-sha256 ${content.sha256.toLowerCase()}`,
    `manifest-sha256 ${sha256Hex(Buffer.from(content.manifestSource, 'utf8'))}`,
    `files-sha256 ${filesDigest(content.files)}`,
    '',
  ].join('\n'), 'utf8');
}

/** A publisher key's id: derived from the public key, so the CLI knows it without asking the gateway. */
export function publisherKeyId(publicKey: KeyObject): string {
  return `pub_${sha256Hex(publicKey.export({ type: 'spki', format: 'der' })).slice(0, 24)}`;
}

/** Base64 SPKI DER of an Ed25519 public key: the form registered with the gateway. */
export function encodePublicKey(publicKey: KeyObject): string {
  return publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}

/** Parses a registered public key. Throws BWK_E_SIGNING_KEY_INVALID unless it is an Ed25519 public key. */
export function decodePublicKey(encoded: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(encoded, 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw new BulwarkError('BWK_E_SIGNING_KEY_INVALID', ['it is not a base64 SPKI public key (print one with `bulwark sign keygen`)']);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new BulwarkError('BWK_E_SIGNING_KEY_INVALID', [`it is a ${key.asymmetricKeyType} key, not Ed25519`]);
  return key;
}

/** A new publisher key pair: the private key as PKCS#8 PEM (for a 0600 file), the public key encoded. */
export function generatePublisherKey(): { privateKeyPem: string; publicKey: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: encodePublicKey(publicKey),
    keyId: publisherKeyId(publicKey),
  };
}

/** Parses a private key file's PEM. Throws BWK_E_SIGNING_KEY_INVALID unless it is an Ed25519 private key. */
export function readPrivateKey(pem: string, where: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new BulwarkError('BWK_E_SIGNING_KEY_INVALID', [`${where} is not a PEM private key (create one with \`bulwark sign keygen\`)`]);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new BulwarkError('BWK_E_SIGNING_KEY_INVALID', [`${where} is a ${key.asymmetricKeyType} key, not Ed25519`]);
  return key;
}

export function signDeploy(privateKey: KeyObject, content: SignedContent): DeploySignature {
  return {
    keyId: publisherKeyId(createPublicKey(privateKey)),
    signature: sign(null, signingStatement(content), privateKey).toString('base64'),
  };
}

/** True when `signature` (base64) is `publicKey`'s signature over the statement of `content`. */
export function verifyDeploy(publicKey: KeyObject, content: SignedContent, signature: string): boolean {
  const bytes = Buffer.from(signature, 'base64');
  if (bytes.length !== 64) return false;
  return verify(null, signingStatement(content), publicKey, bytes);
}
