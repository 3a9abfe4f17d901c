// The rule registry: every rule by id, sorted, listed by hand (as ESLint's lib/rules/index.js) so that
// adding a rule is a reviewed one-line change, never a file that happens to sit in this folder.

import type { Rule } from '../types.ts';
import { rule as BWK_AUTH_JWT_NOVERIFY } from './BWK-AUTH-JWT-NOVERIFY.ts';
import { rule as BWK_CRYPTO_WEAK } from './BWK-CRYPTO-WEAK.ts';
import { rule as BWK_DEP_DEPRECATED } from './BWK-DEP-DEPRECATED.ts';
import { rule as BWK_DEP_INSTALL_SCRIPT } from './BWK-DEP-INSTALL-SCRIPT.ts';
import { rule as BWK_DEP_UNUSED } from './BWK-DEP-UNUSED.ts';
import { rule as BWK_DEP_VULN } from './BWK-DEP-VULN.ts';
import { rule as BWK_DOS_REDOS } from './BWK-DOS-REDOS.ts';
import { rule as BWK_ERR_VERBOSE } from './BWK-ERR-VERBOSE.ts';
import { rule as BWK_IAC_API_NO_AUTH } from './BWK-IAC-API-NO-AUTH.ts';
import { rule as BWK_IAC_CORS_WILDCARD } from './BWK-IAC-CORS-WILDCARD.ts';
import { rule as BWK_IAC_ENV_NO_KMS } from './BWK-IAC-ENV-NO-KMS.ts';
import { rule as BWK_IAC_ENV_SECRET } from './BWK-IAC-ENV-SECRET.ts';
import { rule as BWK_IAC_IAM_BROAD_MANAGED } from './BWK-IAC-IAM-BROAD-MANAGED.ts';
import { rule as BWK_IAC_IAM_WILDCARD } from './BWK-IAC-IAM-WILDCARD.ts';
import { rule as BWK_IAC_NO_ACCESS_LOGS } from './BWK-IAC-NO-ACCESS-LOGS.ts';
import { rule as BWK_IAC_NO_RESERVED_CONCURRENCY } from './BWK-IAC-NO-RESERVED-CONCURRENCY.ts';
import { rule as BWK_IAC_NO_TRACING } from './BWK-IAC-NO-TRACING.ts';
import { rule as BWK_IAC_PERMISSION_NO_SOURCE } from './BWK-IAC-PERMISSION-NO-SOURCE.ts';
import { rule as BWK_IAC_PUBLIC_STORAGE } from './BWK-IAC-PUBLIC-STORAGE.ts';
import { rule as BWK_IAC_RUNTIME_EOL } from './BWK-IAC-RUNTIME-EOL.ts';
import { rule as BWK_INJ_CMD } from './BWK-INJ-CMD.ts';
import { rule as BWK_INJ_CODE } from './BWK-INJ-CODE.ts';
import { rule as BWK_INJ_DESER } from './BWK-INJ-DESER.ts';
import { rule as BWK_INJ_NOSQL } from './BWK-INJ-NOSQL.ts';
import { rule as BWK_INJ_PATH } from './BWK-INJ-PATH.ts';
import { rule as BWK_INJ_PROTO } from './BWK-INJ-PROTO.ts';
import { rule as BWK_INJ_REGEX } from './BWK-INJ-REGEX.ts';
import { rule as BWK_INJ_SQL } from './BWK-INJ-SQL.ts';
import { rule as BWK_INJ_SSRF } from './BWK-INJ-SSRF.ts';
import { rule as BWK_INJ_TEMPLATE } from './BWK-INJ-TEMPLATE.ts';
import { rule as BWK_INJ_XSS } from './BWK-INJ-XSS.ts';
import { rule as BWK_INJ_XXE } from './BWK-INJ-XXE.ts';
import { rule as BWK_LOG_SENSITIVE } from './BWK-LOG-SENSITIVE.ts';
import { rule as BWK_MAN_LONG_TIMEOUT } from './BWK-MAN-LONG-TIMEOUT.ts';
import { rule as BWK_MAN_NO_BUDGET } from './BWK-MAN-NO-BUDGET.ts';
import { rule as BWK_MAN_NO_OWNER_EXPIRY } from './BWK-MAN-NO-OWNER-EXPIRY.ts';
import { rule as BWK_MAN_NO_SCHEMA } from './BWK-MAN-NO-SCHEMA.ts';
import { rule as BWK_MAN_PUBLIC_ROUTE } from './BWK-MAN-PUBLIC-ROUTE.ts';
import { rule as BWK_MAN_UNUSED_GRANT } from './BWK-MAN-UNUSED-GRANT.ts';
import { rule as BWK_MAN_WILDCARD_GRANT } from './BWK-MAN-WILDCARD-GRANT.ts';
import { rule as BWK_SEC_HARDCODED } from './BWK-SEC-HARDCODED.ts';
import { rule as BWK_TMP_SHARED } from './BWK-TMP-SHARED.ts';

export const rules: Record<string, Rule<any>> = {
  'BWK-AUTH-JWT-NOVERIFY': BWK_AUTH_JWT_NOVERIFY,
  'BWK-CRYPTO-WEAK': BWK_CRYPTO_WEAK,
  'BWK-DEP-DEPRECATED': BWK_DEP_DEPRECATED,
  'BWK-DEP-INSTALL-SCRIPT': BWK_DEP_INSTALL_SCRIPT,
  'BWK-DEP-UNUSED': BWK_DEP_UNUSED,
  'BWK-DEP-VULN': BWK_DEP_VULN,
  'BWK-DOS-REDOS': BWK_DOS_REDOS,
  'BWK-ERR-VERBOSE': BWK_ERR_VERBOSE,
  'BWK-IAC-API-NO-AUTH': BWK_IAC_API_NO_AUTH,
  'BWK-IAC-CORS-WILDCARD': BWK_IAC_CORS_WILDCARD,
  'BWK-IAC-ENV-NO-KMS': BWK_IAC_ENV_NO_KMS,
  'BWK-IAC-ENV-SECRET': BWK_IAC_ENV_SECRET,
  'BWK-IAC-IAM-BROAD-MANAGED': BWK_IAC_IAM_BROAD_MANAGED,
  'BWK-IAC-IAM-WILDCARD': BWK_IAC_IAM_WILDCARD,
  'BWK-IAC-NO-ACCESS-LOGS': BWK_IAC_NO_ACCESS_LOGS,
  'BWK-IAC-NO-RESERVED-CONCURRENCY': BWK_IAC_NO_RESERVED_CONCURRENCY,
  'BWK-IAC-NO-TRACING': BWK_IAC_NO_TRACING,
  'BWK-IAC-PERMISSION-NO-SOURCE': BWK_IAC_PERMISSION_NO_SOURCE,
  'BWK-IAC-PUBLIC-STORAGE': BWK_IAC_PUBLIC_STORAGE,
  'BWK-IAC-RUNTIME-EOL': BWK_IAC_RUNTIME_EOL,
  'BWK-INJ-CMD': BWK_INJ_CMD,
  'BWK-INJ-CODE': BWK_INJ_CODE,
  'BWK-INJ-DESER': BWK_INJ_DESER,
  'BWK-INJ-NOSQL': BWK_INJ_NOSQL,
  'BWK-INJ-PATH': BWK_INJ_PATH,
  'BWK-INJ-PROTO': BWK_INJ_PROTO,
  'BWK-INJ-REGEX': BWK_INJ_REGEX,
  'BWK-INJ-SQL': BWK_INJ_SQL,
  'BWK-INJ-SSRF': BWK_INJ_SSRF,
  'BWK-INJ-TEMPLATE': BWK_INJ_TEMPLATE,
  'BWK-INJ-XSS': BWK_INJ_XSS,
  'BWK-INJ-XXE': BWK_INJ_XXE,
  'BWK-LOG-SENSITIVE': BWK_LOG_SENSITIVE,
  'BWK-MAN-LONG-TIMEOUT': BWK_MAN_LONG_TIMEOUT,
  'BWK-MAN-NO-BUDGET': BWK_MAN_NO_BUDGET,
  'BWK-MAN-NO-OWNER-EXPIRY': BWK_MAN_NO_OWNER_EXPIRY,
  'BWK-MAN-NO-SCHEMA': BWK_MAN_NO_SCHEMA,
  'BWK-MAN-PUBLIC-ROUTE': BWK_MAN_PUBLIC_ROUTE,
  'BWK-MAN-UNUSED-GRANT': BWK_MAN_UNUSED_GRANT,
  'BWK-MAN-WILDCARD-GRANT': BWK_MAN_WILDCARD_GRANT,
  'BWK-SEC-HARDCODED': BWK_SEC_HARDCODED,
  'BWK-TMP-SHARED': BWK_TMP_SHARED,
};
