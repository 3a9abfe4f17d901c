// Every place an IAM permission can be written in a template, found once for the IAM rules: policy
// statements (inline role/user/group policies, AWS::IAM::Policy and ManagedPolicy, SAM inline policy
// documents, serverless iamRoleStatements / iam.role.statements), managed policy references
// (ManagedPolicyArns, SAM Policies strings, serverless managedPolicies) and SAM policy templates.

import { at, entries, get, items, type PNode, type Pos } from '../yaml-tree.ts';
import type { IacTemplate } from './context.ts';

export interface PolicyStatement {
  node: PNode;
  /** Where it came from, for messages: a logical id or function name. */
  owner: string;
}

export interface PolicyRef {
  node: PNode;
  owner: string;
}

export interface PolicyTemplate {
  name: string;
  keyPos: Pos;
  arg: PNode;
  owner: string;
}

export interface Permissions {
  statements: PolicyStatement[];
  managed: PolicyRef[];
  templates: PolicyTemplate[];
}

const IDENTITY_TYPES = new Set(['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group']);
const SAM_WITH_POLICIES = new Set(['AWS::Serverless::Function', 'AWS::Serverless::StateMachine']);

export function permissionsOf(t: IacTemplate): Permissions {
  const out: Permissions = { statements: [], managed: [], templates: [] };
  const statementsOf = (doc: PNode | undefined, owner: string) => {
    for (const s of items(get(doc, 'Statement'))) out.statements.push({ node: s, owner });
  };
  for (const r of t.resources) {
    const p = r.properties;
    if (IDENTITY_TYPES.has(r.type)) {
      for (const pol of items(get(p, 'Policies'))) statementsOf(get(pol, 'PolicyDocument'), r.id);
      for (const m of items(get(p, 'ManagedPolicyArns'))) out.managed.push({ node: m, owner: r.id });
    } else if (r.type === 'AWS::IAM::Policy' || r.type === 'AWS::IAM::ManagedPolicy') {
      statementsOf(get(p, 'PolicyDocument'), r.id);
    } else if (SAM_WITH_POLICIES.has(r.type)) {
      for (const pol of items(get(p, 'Policies'))) {
        if (pol.type === 'scalar' || pol.type === 'fn') out.managed.push({ node: pol, owner: r.id });
        else if (get(pol, 'Statement')) statementsOf(pol, r.id);
        else for (const e of entries(pol)) out.templates.push({ name: e.key, keyPos: e.keyPos, arg: e.value, owner: r.id });
      }
    }
  }
  if (t.serverless) {
    const provider = t.serverless.provider;
    for (const s of items(get(provider, 'iamRoleStatements'))) out.statements.push({ node: s, owner: 'provider' });
    for (const s of items(at(provider, 'iam', 'role', 'statements'))) out.statements.push({ node: s, owner: 'provider' });
    for (const m of items(get(provider, 'iamManagedPolicies'))) out.managed.push({ node: m, owner: 'provider' });
    for (const m of items(at(provider, 'iam', 'role', 'managedPolicies'))) out.managed.push({ node: m, owner: 'provider' });
    for (const f of t.serverless.functions) {
      // serverless-iam-roles-per-function: the same statements, one role per function.
      for (const s of items(get(f.node, 'iamRoleStatements'))) out.statements.push({ node: s, owner: f.name });
    }
  }
  return out;
}
