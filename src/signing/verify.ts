// The deploy-time signature check. Every verdict is a `deploy.signature-checked` security event; in
// enforce mode anything but a valid signature by a registered, unrevoked publisher key is refused with
// its BWK_E_SIGNING_* code, in warn mode it is logged and accepted. Keys are read from the store on
// every deploy (no cache), so a revocation applies to the next deploy.
// Rollback runs the same check again on the signature stored with the target version (migration 10),
// against the keys of that moment: reactivating old code must not get around a revocation, nor bring
// back a version deployed unsigned under warn/off once the platform enforces signing.

import { BulwarkError } from '../errors.ts';
import { publishSecurityEvent, type EventBus } from '../bus/bus.ts';
import type { SigningMode } from '../config.ts';
import type { FunctionVersion, PublisherKeyStore, VersionSignature } from '../store/store.ts';
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

/** `what`: the refused operation, e.g. "Deploy of hello". */
function refusal(verdict: Exclude<SignatureVerdict, 'signed'>, what: string, keyId: string): BulwarkError {
  switch (verdict) {
    case 'unsigned': return new BulwarkError('BWK_E_SIGNING_UNSIGNED', [what]);
    case 'invalid': return new BulwarkError('BWK_E_SIGNING_INVALID', [what]);
    case 'unknown-key': return new BulwarkError('BWK_E_SIGNING_UNKNOWN_KEY', [what, keyId]);
    case 'revoked-key': return new BulwarkError('BWK_E_SIGNING_KEY_REVOKED', [what, keyId]);
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
  if (!accepted) throw refusal(verdict, `Deploy of ${content.name}`, keyId ?? '');
  deps.logger.warn({ requestId, function: content.name, actor, verdict, keyId }, 'deploy accepted without a valid signature (signing: warn)');
  return verdict;
}

/**
 * Checks, before a rollback activates `target`, the signature stored with it: the statement is rebuilt
 * from the stored version (name, bundle digest, manifest source) and the files stored with the
 * signature, and verified with the key as registered now. Throws the BWK_E_SIGNING_* refusal in enforce mode.
 */
export async function checkRollbackSignature(
  deps: SignatureCheckDeps, target: FunctionVersion, stored: VersionSignature | undefined, actor: string, requestId: string,
): Promise<void> {
  if (deps.mode === 'off') return;
  const content: SignedContent = { name: target.name, sha256: target.sha256, manifestSource: target.manifestSource, files: stored?.files ?? {} };
  const verdict = await verdictOf(deps.publishers, content, stored);
  const accepted = verdict === 'signed' || deps.mode === 'warn';
  const keyId = stored?.keyId ?? null;
  await publishSecurityEvent(deps.bus, deps.logger, {
    type: 'rollback.signature-checked', requestId, actor, function: target.name, version: target.version,
    detail: { mode: deps.mode, verdict, keyId, accepted, sha256: target.sha256 },
  });
  if (verdict === 'signed') return;
  if (!accepted) throw refusal(verdict, `Rollback of ${target.name} to version ${target.version}`, keyId ?? '');
  deps.logger.warn({ requestId, function: target.name, version: target.version, actor, verdict, keyId }, 'rollback accepted without a valid signature (signing: warn)');
}
