// Secrets written as literal environment values end up in the template, the repository, the
// CloudFormation console and every `GetFunctionConfiguration` reader. A name that says secret with a
// literal value, or a value shaped like a known credential, is flagged; references (SSM or Secrets
// Manager dynamic references, `${ssm:…}`, `!Ref`, parameter paths and ARNs) are not.

import type { IacContext } from '../engine/iac/context.ts';
import { isReferenceText } from '../engine/iac/serverless-vars.ts';
import { text } from '../engine/yaml-tree.ts';
import type { Rule } from '../types.ts';

const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|PASSPHRASE|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL|AUTH_?KEY|SIGNING_?KEY|CLIENT_?SECRET|DB_?PASS)/i;
// Names that say the value points at a secret rather than holding it.
const POINTER_NAME = /(_ARN|_NAME|_PARAM|_PARAMETER|_PATH|_ID|_TABLE|_BUCKET|_QUEUE|_TOPIC|_URL|_REGION|_TTL|_EXPIRY|_LENGTH|_HEADER|_ENDPOINT|_SECONDS|_MINUTES)$/i;
const CREDENTIAL_VALUE = [
  /^(AKIA|ASIA)[A-Z0-9]{16}$/, /^sk_(live|test)_[A-Za-z0-9]{16,}$/, /^gh[pousr]_[A-Za-z0-9]{30,}$/, /^xox[abprs]-[A-Za-z0-9-]{10,}$/,
  /^eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+$/, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, /^AIza[0-9A-Za-z_-]{35}$/,
];

// Settings, not secrets: PASSWORD_POLICY: strict, TOKEN_CACHE: "true", API_KEY_REQUIRED: "false".
const SETTING_VALUE = /^(true|false|yes|no|on|off|enabled|disabled|none|null|strict|required|optional|[0-9]+)$/i;

function isPointer(value: string): boolean {
  return isReferenceText(value) || /^arn:aws[a-z-]*:(secretsmanager|ssm|kms):/.test(value) || /^\/[A-Za-z0-9_.\-/]+$/.test(value);
}

export const rule: Rule<IacContext> = {
  meta: {
    id: 'BWK-IAC-ENV-SECRET',
    engine: 'iac',
    severity: 'high',
    owasp: 'SAS-7',
    cwe: ['CWE-798', 'CWE-312'],
    description: 'Secret-looking environment variables with literal values instead of references to SSM Parameter Store or Secrets Manager.',
    fix: 'Store the value in Secrets Manager or SSM and pass a reference (`{{resolve:secretsmanager:…}}`, `${ssm:/path}`, or the ARN and read it at run time).',
    messages: {
      secretName: 'environment variable {{name}} of {{fn}} holds a literal value: secrets belong in Secrets Manager or SSM, not in the template',
      secretValue: 'environment variable {{name}} of {{fn}} holds what looks like a credential',
    },
    mitigatedBy: ['dlp'],
  },
  check(ctx) {
    const seen = new Set<string>();
    for (const fn of ctx.functions) {
      for (const e of fn.environment) {
        const value = e.value.type === 'scalar' && typeof e.value.value === 'string' ? text(e.value)! : undefined;
        if (value === undefined || value.trim() === '' || isPointer(value) || SETTING_VALUE.test(value.trim())) continue;
        // Globals and provider variables are shared by every function: report each place once.
        const key = `${e.keyPos.line}:${e.keyPos.column}`;
        if (seen.has(key)) continue;
        const credential = CREDENTIAL_VALUE.some((re) => re.test(value));
        const named = SECRET_NAME.test(e.key) && !POINTER_NAME.test(e.key);
        if (!credential && !named) continue;
        seen.add(key);
        ctx.report({ messageId: credential ? 'secretValue' : 'secretName', data: { name: e.key, fn: fn.id }, ...e.keyPos });
      }
    }
  },
};
