// The single permission matrix: which role may perform which action. Everything that checks a
// permission (the authz guard, the admin API) asks `allows` here; no other file lists roles per action.
//
// Roles are not a ladder. `invoker` is a machine credential for calling functions: it may list the
// functions it can call but not read their logs (logs carry other callers' data) nor see the status page.
// `viewer` is read-only for humans: it may look at everything in its scope but not call functions.

import type { Role } from '../store/store.ts';

export type { Role };

export type Action = 'invoke' | 'deploy' | 'rollback' | 'remove' | 'list' | 'read-logs' | 'manage-keys' | 'doctor'
  // IP blocks are global (every function, the admin API): only callers scoped to * (src/gateway/admin/blocks.ts).
  | 'list-blocks' | 'manage-blocks'
  | 'read-spend'
  // Publishing a message on a subject: it invokes the functions consuming it (src/gateway/admin/publish.ts).
  | 'publish'
  // Publisher keys for code signing sign deploys of any function: admins scoped to * (src/gateway/admin/publishers.ts).
  | 'manage-publishers'
  // Vault (src/gateway/admin/secrets.ts): writing secrets and rotating the master key is for admins scoped
  // to *; names and versions (never values) are visible to deployers too, who write permissions.secrets.
  | 'manage-secrets' | 'list-secrets' | 'rotate-master-key'
  // Least-privilege reports (src/gateway/admin/policy.ts): grants and their use, never values.
  | 'read-policy'
  // Incidents (src/gateway/admin/incidents.ts): global like IP blocks, so for callers scoped to * only.
  | 'read-incidents' | 'manage-incidents'
  // Lifecycle (src/gateway/admin/lifecycle.ts): the kill switch, undoing it, and the inventory.
  | 'disable' | 'enable' | 'read-inventory';

export const roles: readonly Role[] = ['admin', 'deployer', 'invoker', 'viewer'];

export const permissions: Readonly<Record<Action, readonly Role[]>> = {
  invoke: ['admin', 'deployer', 'invoker'],
  deploy: ['admin', 'deployer'],
  rollback: ['admin', 'deployer'],
  remove: ['admin', 'deployer'],
  list: ['admin', 'deployer', 'invoker', 'viewer'],
  'read-logs': ['admin', 'deployer', 'viewer'],
  'manage-keys': ['admin'],
  doctor: ['admin', 'deployer', 'viewer'],
  // Spend per caller shows who calls what and how often: for people, not for invoker (machine) keys.
  'read-spend': ['admin', 'deployer', 'viewer'],
  'list-blocks': ['admin', 'viewer'],
  'manage-blocks': ['admin'],
  // The roles that may invoke: a message is input to every consumer of its subject, and the publisher
  // must also be allowed to invoke each of them (scope), at publish and again at delivery (authz guard).
  publish: ['admin', 'deployer', 'invoker'],
  'manage-publishers': ['admin'],
  'manage-secrets': ['admin'],
  'list-secrets': ['admin', 'deployer'],
  'rotate-master-key': ['admin'],
  'read-policy': ['admin', 'deployer', 'viewer'],
  'read-incidents': ['admin', 'viewer'],
  'manage-incidents': ['admin'],
  // Whoever may deploy a function may stop it; lifting a disable (which may be an admin's incident
  // response) is for admins.
  disable: ['admin', 'deployer'],
  enable: ['admin'],
  'read-inventory': ['admin', 'deployer', 'viewer'],
};

/** True when any of `held` may perform `action`. An empty role list may do nothing (default deny). */
export function allows(held: readonly Role[], action: Action): boolean {
  const allowed = permissions[action];
  return held.some((r) => allowed.includes(r));
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}
