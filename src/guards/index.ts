// The guard registry: every guard by id, sorted, listed by hand (no filesystem scanning). The order in
// which they run is not declared here but in chain.ts.

import * as authn from './authn/index.ts';
import * as authz from './authz/index.ts';
import * as bodyLimit from './body-limit/index.ts';
import * as budget from './budget/index.ts';
import * as callerRateLimit from './caller-rate-limit/index.ts';
import * as concurrency from './concurrency/index.ts';
import * as injection from './injection/index.ts';
import * as ipBlock from './ip-block/index.ts';
import * as rateLimit from './rate-limit/index.ts';
import * as schema from './schema/index.ts';

export const guards = {
  authn,
  authz,
  'body-limit': bodyLimit,
  budget,
  'caller-rate-limit': callerRateLimit,
  concurrency,
  injection,
  'ip-block': ipBlock,
  'rate-limit': rateLimit,
  schema,
} as const;

export type GuardId = keyof typeof guards;
