import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { BulwarkError } from '../errors.ts';
import { decodePublicKey, generatePublisherKey, readPrivateKey, signDeploy, signingStatement, verifyDeploy, type SignedContent } from './signature.ts';

const content: SignedContent = {
  name: 'hello',
  sha256: createHash('sha256').update('bundle').digest('hex'),
  manifestSource: 'name: hello\nhandler: index.mjs#handler\n',
  files: { 'schema.json': '{"type":"object"}' },
};

const isCode = (code: string) => (err: unknown) => err instanceof BulwarkError && err.code === code;

test('a signature verifies against its statement and the matching public key only', () => {
  const pub = generatePublisherKey();
  const sig = signDeploy(readPrivateKey(pub.privateKeyPem, 'key.pem'), content);
  assert.equal(sig.keyId, pub.keyId);
  assert.match(sig.keyId, /^pub_[0-9a-f]{24}$/);
  assert.equal(verifyDeploy(decodePublicKey(pub.publicKey), content, sig.signature), true);
  const other = generatePublisherKey();
  assert.equal(verifyDeploy(decodePublicKey(other.publicKey), content, sig.signature), false);
});

test('the signature covers the name, the bundle, the manifest and the referenced files', () => {
  const pub = generatePublisherKey();
  const key = decodePublicKey(pub.publicKey);
  const { signature } = signDeploy(readPrivateKey(pub.privateKeyPem, 'key.pem'), content);
  const variants: SignedContent[] = [
    { ...content, name: 'hello2' },
    { ...content, sha256: createHash('sha256').update('other bundle').digest('hex') },
    // A more permissive manifest paired with the signed bundle.
    { ...content, manifestSource: content.manifestSource + 'permissions:\n  egress: ["*"]\n' },
    { ...content, files: { 'schema.json': '{}' } },
    { ...content, files: {} },
  ];
  for (const v of variants) assert.equal(verifyDeploy(key, v, signature), false, JSON.stringify(v));
  assert.equal(verifyDeploy(key, content, Buffer.alloc(64).toString('base64')), false);
  assert.equal(verifyDeploy(key, content, 'short'), false);
});

test('the statement is canonical: the order of files does not change it, their boundaries do', () => {
  const a = signingStatement({ ...content, files: { a: '1', b: '2' } });
  const b = signingStatement({ ...content, files: { b: '2', a: '1' } });
  assert.deepEqual(a, b);
  const shifted = signingStatement({ ...content, files: { a: '12', b: '' } });
  assert.notDeepEqual(a, shifted);
  assert.match(a.toString('utf8'), /^bulwark-deploy-signature\/v1\nfunction hello\nbundle-sha256 [0-9a-f]{64}\nmanifest-sha256 [0-9a-f]{64}\nfiles-sha256 [0-9a-f]{64}\n$/);
});

test('non-Ed25519 and malformed keys are refused with BWK_E_SIGNING_KEY_INVALID', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  assert.throws(() => decodePublicKey(rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')), isCode('BWK_E_SIGNING_KEY_INVALID'));
  assert.throws(() => decodePublicKey('bm90IGEga2V5'), isCode('BWK_E_SIGNING_KEY_INVALID'));
  assert.throws(() => readPrivateKey(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'rsa.pem'), isCode('BWK_E_SIGNING_KEY_INVALID'));
  assert.throws(() => readPrivateKey('garbage', 'x.pem'), isCode('BWK_E_SIGNING_KEY_INVALID'));
});
