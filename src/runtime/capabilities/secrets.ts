// context.secrets.get(name): a secret's active value, for a function whose manifest lists the name in
// permissions.secrets. Announced to every worker, so that a function asking for a secret it was not
// granted is refused and recorded (capability.denied) rather than failing silently. Every read and
// every refusal is a security event naming the function and the secret, never the value; the value
// goes to the worker only.

import { BulwarkError } from '../../errors.ts';
import { publishSecurityEvent } from '../../bus/bus.ts';
import { protocolError } from '../broker/protocol.ts';
import type { Capability, CapabilityDeps, InvocationContext } from './capability.ts';

interface SecretArgs {
  name: string;
}

/** Longer than any secret name (src/vault/vault.ts): a longer one is not a name, it is a protocol breach. */
const MAX_NAME = 64;

function record(deps: CapabilityDeps, inv: InvocationContext, type: 'capability.used' | 'capability.denied', name: string): Promise<void> {
  return publishSecurityEvent(deps.bus, deps.logger, {
    type, requestId: inv.requestId, function: inv.target.name, version: inv.target.version,
    actor: inv.actor, detail: { capability: 'secrets', target: name },
  });
}

export const secrets: Capability<SecretArgs> = {
  name: 'secrets',
  granted: () => true,
  parse(args) {
    const name = (args as { name?: unknown } | null)?.name;
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME) throw protocolError('secrets: name must be a string of 1 to 64 characters');
    return { name };
  },
  async handle({ name }, inv, deps) {
    if (!(inv.target.manifest.permissions.secrets ?? []).includes(name)) {
      await record(deps, inv, 'capability.denied', name);
      throw new BulwarkError('BWK_E_BROKER_CAPABILITY_DENIED', [`secrets: ${name}`]);
    }
    const value = await deps.secrets?.get(name);
    if (value === undefined) throw new BulwarkError('BWK_E_VAULT_SECRET_NOT_FOUND', [name]);
    await record(deps, inv, 'capability.used', name);
    return value.toString('utf8');
  },
};
