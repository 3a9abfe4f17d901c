// Injection detection on every string of an event after decoding (docs/guards/injection.md). The walk
// (fields.ts) finds the strings, the scan (scan.ts) decodes them (decode.ts) and runs one detector per
// attack class (detectors/) over every form. The manifest's `injection` key sets the mode (block, the
// default, or monitor), the exempt fields (content not inspected: code snippets, query editors) and
// the base64 fields. In block mode the first finding refuses the request; in monitor mode it passes
// and every finding (up to MAX_MONITOR_FINDINGS) is published as an `injection.detected` event.
// Neither the payload nor the pattern that matched reaches the caller, the log or an event: the
// caller learns the field, the event records the class, the field and a SHA-256 of the value.

// Sets V8's backtrack fallback before the detectors' patterns first run (see input-schema.ts): a
// pattern that backtracks too much is restarted on the linear-time engine.
import '../../manifest/input-schema.ts';
import { BulwarkError } from '../../errors.ts';
import type { InjectionPolicy } from '../../manifest/types.ts';
import { deny, pass, type Guard, type GuardEvent, type GuardMeta } from '../types.ts';
import { walkRequest } from './fields.ts';
import { createScan, type Finding, type InspectionLimits } from './scan.ts';

export const meta = {
  id: 'injection',
  phase: 'input',
  description: 'Rejects events carrying SQL, NoSQL, command, JavaScript, traversal, SSRF, XXE, prototype-pollution, serialized-object or template injection',
  errors: ['BWK_E_GUARD_INJECTION', 'BWK_E_GUARD_INPUT_TOO_COMPLEX'],
} as const satisfies GuardMeta;

export type InjectionOptions = Partial<InspectionLimits>;

export const DEFAULT_LIMITS: InspectionLimits = { maxDepth: 64, maxStrings: 20_000, maxChars: 8 * 1024 * 1024 };
/** Findings published per request in monitor mode: enough to see what an attacker tried. */
export const MAX_MONITOR_FINDINGS = 8;
/** What a manifest without an `injection` key gets. */
const DEFAULT_POLICY: InjectionPolicy = { mode: 'block', exempt: [], base64: [] };

function event(finding: Finding, mode: InjectionPolicy['mode']): GuardEvent {
  return { type: 'injection.detected', detail: { ...finding, mode } };
}

export function create(opts: InjectionOptions = {}): Guard {
  const limits: InspectionLimits = { ...DEFAULT_LIMITS, ...opts };
  return async function injection(req) {
    const policy = req.fn.manifest.injection ?? DEFAULT_POLICY;
    const scan = createScan(limits, policy.mode === 'block' ? 1 : MAX_MONITOR_FINDINGS);
    walkRequest(req, policy, limits.maxDepth, scan);
    const [first] = scan.findings;
    if (!first) return pass();
    if (policy.mode === 'monitor') return pass({ events: scan.findings.map((f) => event(f, 'monitor')) });
    const error = first.class === 'uninspectable'
      ? new BulwarkError('BWK_E_GUARD_INPUT_TOO_COMPLEX', [first.reason])
      : new BulwarkError('BWK_E_GUARD_INJECTION', [first.field]);
    return deny(error, { rule: first.class, event: event(first, 'block') });
  };
}
