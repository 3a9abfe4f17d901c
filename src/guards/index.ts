// The guard registry: every guard by id, sorted, listed by hand (no filesystem scanning). The order in
// which they run is not declared here but in chain.ts.

import * as authn from './authn/index.ts';
import * as authz from './authz/index.ts';
import * as bodyLimit from './body-limit/index.ts';
import * as concurrency from './concurrency/index.ts';
import * as schema from './schema/index.ts';

export const guards = {
  authn,
  authz,
  'body-limit': bodyLimit,
  concurrency,
  schema,
} as const;

export type GuardId = keyof typeof guards;
