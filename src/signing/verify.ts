// The deploy-time signature check. Every verdict is a `deploy.signature-checked` security event; in
// enforce mode anything but a valid signature by a registered, unrevoked publisher key is refused with
// its BWK_E_SIGNING_* code, in warn mode it is logged and accepted. Keys are read from the store on
// every deploy (no cache), so a revocation applies to the next deploy.

import { BulwarkError } from '../errors.ts';
import { publishSecurityEvent, type EventBus } from '../bus/bus.ts';
import type { SigningMode } from '../config.ts';
import type { PublisherKeyStore } from '../store/store.ts';
import type { Logger } from '../telemetry/logger.ts';
import { decodePublicKey, verifyDeploy, type DeploySignature, type SignedContent } from './signature.ts';

export type SignatureVerdict = 'signed' | 'unsigned' | 'invalid' | 'unknown-key' | 'revoked-key';

export interface SignatureCheckDeps {
  mode: SigningMode;
  publishers: PublisherKeyStore;
  bus: EventBus;
  logger: Logger;
}

async function verdictOf(publishers: PublisherKeyStore, content: SignedContent, signature: DeploySignature | undefined): Promise<SignatureVerdict> {
  if (!signature) return 'unsigned';
  const key = await publishers.get(signature.keyId);
  if (!key) return 'unknown-key';
  if (key.revokedAt !== null) return 'revoked-key';
  return verifyDeploy(decodePublicKey(key.publicKey), content, signature.signature) ? 'signed' : 'invalid';
}

function refusal(verdict: Exclude<SignatureVerdict, 'signed'>, name: string, keyId: string): BulwarkError {
  switch (verdict) {
    case 'unsigned': return new BulwarkError('BWK_E_SIGNING_UNSIGNED', [name]);
    case 'invalid': return new BulwarkError('BWK_E_SIGNING_INVALID', [name]);
    case 'unknown-key': return new BulwarkError('BWK_E_SIGNING_UNKNOWN_KEY', [name, keyId]);
    case 'revoked-key': return new BulwarkError('BWK_E_SIGNING_KEY_REVOKED', [name, keyId]);
  }
}

/** Checks a deploy's signature per `deps.mode`. Throws the BWK_E_SIGNING_* refusal in enforce mode. */
export async function checkDeploySignature(
  deps: SignatureCheckDeps, content: SignedContent, signature: DeploySignature | undefined, actor: string, requestId: string,
): Promise<SignatureVerdict | undefined> {
  if (deps.mode === 'off') return undefined;
  const verdict = await verdictOf(deps.publishers, content, signature);
  const accepted = verdict === 'signed' || deps.mode === 'warn';
  const keyId = signature?.keyId ?? null;
  await publishSecurityEvent(deps.bus, deps.logger, {
    type: 'deploy.signature-checked', requestId, actor, function: content.name,
    detail: { mode: deps.mode, verdict, keyId, accepted, sha256: content.sha256 },
  });
  if (verdict === 'signed') return verdict;
  if (!accepted) throw refusal(verdict, content.name, keyId ?? '');
  deps.logger.warn({ requestId, function: content.name, actor, verdict, keyId }, 'deploy accepted without a valid signature (signing: warn)');
  return verdict;
}
