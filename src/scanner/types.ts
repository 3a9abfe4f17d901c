// The scanner's rule model, shaped like ESLint's: a rule is data (`meta`) plus one check. Each rule
// belongs to one engine; the engine parses what it reads once (JS/TS sources, lockfiles, templates)
// and hands every rule of its kind the parsed project, so adding a rule never adds a parse.

/** Ordered from least to most severe; `--fail-on` and the deploy gate compare by this order. */
export const severities = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof severities)[number];

/**
 * Which engine runs a rule: `js` reads JavaScript/TypeScript sources (taint and pattern rules), `deps`
 * lockfiles and package.json against OSV advisories, `manifest` Bulwark manifests (bulwark.yaml), `iac`
 * AWS SAM / CloudFormation templates and serverless.yml.
 */
export const engines = ['js', 'deps', 'manifest', 'iac'] as const;
export type EngineId = (typeof engines)[number];

/** OWASP Serverless Top 10 (2018) risk classes. */
export const owaspServerless = {
  'SAS-1': 'Function event-data injection',
  'SAS-2': 'Broken authentication',
  'SAS-3': 'Insecure serverless deployment configuration',
  'SAS-4': 'Over-privileged function permissions and roles',
  'SAS-5': 'Inadequate function monitoring and logging',
  'SAS-6': 'Insecure third-party dependencies',
  'SAS-7': 'Insecure application secrets storage',
  'SAS-8': 'Denial of service and financial resource exhaustion',
  'SAS-9': 'Serverless business logic manipulation',
  'SAS-10': 'Improper exception handling and verbose error messages',
} as const;
export type OwaspServerlessRisk = keyof typeof owaspServerless;

export interface RuleMeta {
  /** Stable id, `BWK-<AREA>-<WHAT>` (e.g. BWK-INJ-CMD); the rule's file is src/scanner/rules/<id>.ts. */
  id: string;
  engine: EngineId;
  severity: Severity;
  owasp: OwaspServerlessRisk;
  /** CWE ids such as 'CWE-78'. */
  cwe: string[];
  /** One sentence: what the rule finds. */
  description: string;
  /** One or two sentences: how to fix what it finds. */
  fix: string;
  /** Finding messages by message id; `{{name}}` placeholders are filled from Finding.data. */
  messages: Record<string, string>;
  /** Ids of the runtime guards (src/guards/<id>/) that mitigate this class at invocation time, if any. */
  mitigatedBy?: string[];
}

/** Where a finding points: a path relative to the scanned root, 1-based line and column. */
export interface Location {
  file: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
}

/** What a rule reports; the engine adds the rule id, severity and the rendered message. */
export interface Report extends Location {
  messageId: string;
  data?: Record<string, string | number>;
  /** For taint findings: the path from source to sink, source first. */
  trace?: Location[];
  /**
   * Overrides the rule's meta.severity for this one finding, when the severity belongs to the thing
   * found rather than to the rule (an advisory's own severity in BWK-DEP-VULN).
   */
  severity?: Severity;
}

export interface Finding extends Report {
  ruleId: string;
  severity: Severity;
  message: string;
}

/** A rule: static meta that tooling reads without running it, and a check the engine calls. */
export interface Rule<Context = unknown> {
  meta: RuleMeta;
  check(context: Context): void;
}

export interface ScanOptions {
  /** OSV advisories: a directory of .json/.jsonl files or one file (src/scanner/engine/deps/). */
  advisories?: string;
  /** Values for serverless.yml `${opt:…}` variables. */
  options?: Record<string, string>;
  /** Per-rule options by rule id, e.g. `{ 'BWK-MAN-LONG-TIMEOUT': { maxTimeout: '60s' } }`. */
  ruleOptions?: Record<string, Record<string, unknown>>;
}

/**
 * One engine: given the scanned root and the files of it the engine claims (relative paths), runs its
 * rules and returns their findings. Each engine lives in src/scanner/engine/<engine>/index.ts and
 * exports `engine`.
 */
export interface Engine {
  id: EngineId;
  /** Whether a file (relative path) is one this engine reads. */
  claims(file: string): boolean;
  run(input: {
    root: string;
    files: string[];
    rules: Rule[];
    options: ScanOptions;
    /**
     * Where the engine reports a file it could not read or parse (relative path, one-line reason without
     * host paths) and then skips; src/scanner/scan.ts lists these as scan errors. Optional: the rule tester
     * does not pass it.
     */
    onError?: (file: string, reason: string) => void;
  }): Promise<Finding[]>;
}
