// /admin/v1/functions: deploy, list, inspect, remove, roll back, read logs. Each route authorises its
// own action (src/auth/roles.ts) and checks the caller's scope covers the function it names.

import type { FastifyInstance } from 'fastify';
import { BulwarkError } from '../../errors.ts';
import { parseManifest } from '../../manifest/parse.ts';
import { covers, mayPerform } from '../../auth/principal.ts';
import { deployFunction, removeFunction, rollbackFunction } from '../../deploy/deploy.ts';
import type { Store } from '../../store/store.ts';
import type { EventBus } from '../../bus/bus.ts';
import type { SandboxProvider } from '../../runtime/sandbox/sandbox.ts';
import type { Logger } from '../../telemetry/logger.ts';
import type { SigningMode } from '../../config.ts';
import type { AdminAccess } from './access.ts';
import { principalOf } from './principal.ts';
import { scanClaimSchema, type ScanClaim } from '../../scanner/gate/gate.ts';
import type { ScanGate } from '../../scanner/gate/server.ts';

export interface FunctionRoutesDeps {
  store: Store;
  sandbox: SandboxProvider;
  bus: EventBus;
  logger: Logger;
  access: AdminAccess;
  signing: SigningMode;
  scanGate?: ScanGate;
}

const NAME = '^[a-z][a-z0-9-]{0,62}$';
const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: NAME } } } as const;
const MAX_LOG_LIMIT = 1000;

interface DeployBody {
  manifest: string;
  files?: Record<string, string>;
  bundle: string;
  sha256: string;
  signature?: { keyId: string; signature: string };
  scan?: ScanClaim;
}

const deploySchema = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['manifest', 'bundle', 'sha256'],
    properties: {
      manifest: { type: 'string', minLength: 1, maxLength: 256 * 1024 },
      files: { type: 'object', maxProperties: 64, additionalProperties: { type: 'string', maxLength: 1024 * 1024 } },
      bundle: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9+/]*={0,2}$' },
      sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      // A publisher's Ed25519 signature (src/signing/signature.ts): 64 bytes, base64.
      signature: {
        type: 'object', additionalProperties: false, required: ['keyId', 'signature'],
        properties: { keyId: { type: 'string', pattern: '^pub_[0-9a-f]{24}$' }, signature: { type: 'string', pattern: '^[A-Za-z0-9+/]{86}==$' } },
      },
      // The deployer's security scan summary and waivers (src/scanner/gate/gate.ts).
      scan: scanClaimSchema,
    },
  },
} as const;

export async function registerFunctionRoutes(app: FastifyInstance, deps: FunctionRoutesDeps): Promise<void> {
  const { store, access } = deps;
  const deployDeps = { store: deps.store, sandbox: deps.sandbox, bus: deps.bus, logger: deps.logger, signing: deps.signing, ...(deps.scanGate ? { scanGate: deps.scanGate } : {}) };

  app.post<{ Body: DeployBody }>('/functions', { schema: deploySchema, config: { action: 'deploy' } }, async (request, reply) => {
    const principal = principalOf(request);
    await access.authorize(request, principal, 'deploy');
    const files = request.body.files ?? {};
    // The manifest names the function; parse it here to check scope before anything is stored.
    // deployFunction parses it again: the deploy path never trusts a parse it did not do itself.
    const manifest = parseManifest(request.body.manifest, 'bulwark.yaml', (rel) => (Object.hasOwn(files, rel) ? files[rel] : undefined));
    await access.authorize(request, principal, 'deploy', manifest.name);
    // A function calls the functions in its permissions.invoke as itself, past their authz guard
    // (src/guards/authz/): granting a call is invoking the callee, so the deployer's own role and scope
    // must reach it, as publishing must reach every consumer (publish.ts). Otherwise a deployer scoped to
    // one function could drive any function with input of its choosing.
    for (const callee of manifest.permissions.invoke ?? []) {
      if (!mayPerform(principal, 'invoke', callee)) {
        await access.refuse(request, principal, 'deploy', `deploy ${manifest.name} granting permissions.invoke ${callee}: your key may not invoke ${callee}`);
      }
    }
    // Secrets and kv namespaces belong to no function: a grant reaches data other teams put there. Adding
    // one beyond what the active version already holds is an administrator's decision (an admin key
    // scoped to every function); redeploying with the same or fewer grants stays the deployer's.
    if (!(principal.roles.includes('admin') && covers(principal, '*'))) {
      // An offboarded function's grants were dropped (src/lifecycle/offboard.ts): it holds nothing any more.
      const offboarded = (await deps.store.lifecycle.disabled(manifest.name))?.offboardedAt;
      const active = offboarded ? undefined : await deps.store.functions.getActive(manifest.name);
      const heldSecrets = new Set(active?.manifest.permissions.secrets ?? []);
      const heldKv = active?.manifest.permissions.kv ?? {};
      for (const name of manifest.permissions.secrets ?? []) {
        if (!heldSecrets.has(name)) {
          await access.refuse(request, principal, 'deploy', `deploy ${manifest.name} granting the secret ${name}: only an admin key scoped to * may add a secret grant`);
        }
      }
      for (const [ns, level] of Object.entries(manifest.permissions.kv ?? {})) {
        const held = Object.hasOwn(heldKv, ns) ? heldKv[ns] : undefined;
        if (held !== level && held !== 'read-write') {
          await access.refuse(request, principal, 'deploy', `deploy ${manifest.name} granting kv ${ns}: ${level}: only an admin key scoped to * may add or widen a kv grant`);
        }
      }
    }
    const { version, unchanged } = await deployFunction(
      deployDeps,
      { manifest: request.body.manifest, files, bundle: new Uint8Array(Buffer.from(request.body.bundle, 'base64')), sha256: request.body.sha256, signature: request.body.signature, scan: request.body.scan },
      principal.actor,
      request.id,
    );
    return reply.code(201).send({ name: version.name, version: version.version, sha256: version.sha256, deployedAt: version.deployedAt, unchanged });
  });

  // The security scan recorded with each version (src/scanner/gate/): counts, waivers used, re-scan.
  app.get<{ Params: { name: string } }>('/functions/:name/scans', { schema: { params: nameParams }, config: { action: 'list' } }, async (request) => {
    const { name } = request.params;
    await access.authorize(request, principalOf(request), 'list', name);
    return { scans: await store.scans.list(name) };
  });

  app.get('/functions', { config: { action: 'list' } }, async (request) => {
    const principal = principalOf(request);
    await access.authorize(request, principal, 'list');
    const all = await store.functions.list();
    return { functions: all.filter((f) => covers(principal, f.name)) };
  });

  app.get<{ Params: { name: string } }>('/functions/:name', { schema: { params: nameParams }, config: { action: 'list' } }, async (request) => {
    const { name } = request.params;
    await access.authorize(request, principalOf(request), 'list', name);
    const summary = (await store.functions.list()).find((f) => f.name === name);
    if (!summary) throw new BulwarkError('BWK_E_REGISTRY_FUNCTION_NOT_FOUND', [name]);
    const versions = await store.functions.listVersions(name);
    const signedBy = new Map((await store.functions.listSignatures(name)).map((s) => [s.version, s.keyId]));
    return {
      function: summary,
      versions: versions.map((v) => ({
        version: v.version, sha256: v.sha256, deployedAt: v.deployedAt, deployedBy: v.deployedBy, sizeBytes: v.sizeBytes,
        signedBy: signedBy.get(v.version) ?? null,
      })),
    };
  });

  // Removal is offboarding (src/lifecycle/offboard.ts): keys scoped to the function alone are revoked,
  // secrets only it granted deleted, and with ?purgeKv=true the kv namespaces only it granted purged.
  app.delete<{ Params: { name: string }; Querystring: { purgeKv?: boolean } }>('/functions/:name', {
    config: { action: 'remove' },
    schema: { params: nameParams, querystring: { type: 'object', additionalProperties: false, properties: { purgeKv: { type: 'boolean' } } } },
  }, async (request) => {
    const { name } = request.params;
    const principal = principalOf(request);
    await access.authorize(request, principal, 'remove', name);
    const purgeKv = request.query.purgeKv === true;
    // kv namespaces belong to no function (like adding a kv grant): destroying one's data is for an
    // admin scoped to *.
    if (purgeKv && !(principal.roles.includes('admin') && covers(principal, '*'))) {
      await access.refuse(request, principal, 'remove', `remove ${name} purging its kv namespaces: only an admin key scoped to * may purge kv`);
    }
    // Removal deletes the disabled record, and a deploy under the same name would then start active:
    // for a disabled function, rm + deploy is an enable, so it needs whoever may enable it.
    if (!mayPerform(principal, 'enable', name) && (await deps.store.lifecycle.disabled(name))) {
      await access.refuse(request, principal, 'remove', `remove ${name} while it is disabled: only a caller who may enable it may remove it`);
    }
    const report = await removeFunction(deployDeps, name, principal.actor, request.id, { purgeKv });
    return { removed: true, offboarding: report };
  });

  app.post<{ Params: { name: string }; Body: { version?: number } | undefined }>('/functions/:name/rollback', {
    config: { action: 'rollback' },
    schema: {
      params: nameParams,
      body: { type: ['object', 'null'], additionalProperties: false, properties: { version: { type: 'integer', minimum: 1 } } },
    },
  }, async (request) => {
    const { name } = request.params;
    const principal = principalOf(request);
    await access.authorize(request, principal, 'rollback', name);
    const v = await rollbackFunction(deployDeps, name, request.body?.version ?? undefined, principal.actor, request.id);
    return { name: v.name, version: v.version, sha256: v.sha256 };
  });

  app.get<{ Params: { name: string }; Querystring: { limit?: number; requestId?: string } }>('/functions/:name/logs', {
    config: { action: 'read-logs' },
    schema: {
      params: nameParams,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          limit: { type: 'integer', minimum: 1, maximum: MAX_LOG_LIMIT },
          requestId: { type: 'string', pattern: '^[0-9a-fA-F-]{1,64}$' },
        },
      },
    },
  }, async (request) => {
    const { name } = request.params;
    await access.authorize(request, principalOf(request), 'read-logs', name);
    const { limit = 100, requestId } = request.query;
    const logs = await store.logs.query({ function: name, limit, ...(requestId ? { requestId } : {}) });
    return { logs };
  });
}
