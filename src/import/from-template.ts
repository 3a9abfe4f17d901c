// `bulwark import`: one Lambda function of an AWS SAM, CloudFormation or serverless.yml template turned
// into a Bulwark manifest (docs/manifest.md). The template is read by the IaC scanner's reader
// (src/scanner/engine/iac/template.ts), so serverless variables and SAM Globals mean the same here as
// in `bulwark scan`. What the two platforms cannot share is said in the output, never guessed away:
// environment values are not copied (secrets go to the vault), a route that was open in the template
// stays default-deny until the author writes `auth: public`, and owner and expires are TODO
// placeholders that fail validation until someone fills them in.

import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, posix, relative, resolve } from 'node:path';
import { BulwarkError } from '../errors.ts';
import type { IacTemplate, LambdaFunction } from '../scanner/engine/iac/context.ts';
import { readTemplate, refTarget, samEvents, serverlessEvents } from '../scanner/engine/iac/template.ts';
import { at, get, isTrue, str, text, type PNode } from '../scanner/engine/yaml-tree.ts';

export interface ImportOptions {
  /** Logical id, serverless function key, or the function's FunctionName / name. */
  function?: string;
  /** Directory to write bulwark.yaml in; default: the function's code directory. */
  out?: string;
  /** Values for serverless `${opt:…}`. */
  vars?: Record<string, string>;
}

export interface ImportResult {
  /** Absolute directory the manifest is meant for. */
  outDir: string;
  manifest: string;
  functionId: string;
  warnings: string[];
}

interface HttpRoute {
  method: string;
  path: string;
  /** 'jwt' when the template used a JWT/Cognito authorizer; undefined keeps Bulwark's default. */
  auth?: 'jwt';
  /** Why the route is not mapped one to one, as a comment. */
  note?: string;
  format: '1.0' | '2.0';
}

// C0 controls but the tab, DEL, C1 controls, line/paragraph separators and bidirectional overrides.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY']);
const SOURCE_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

/** Builds the manifest text; writes nothing. `templatePath` is absolute. */
export function importFunction(templatePath: string, source: string, opts: ImportOptions): ImportResult {
  const shown = posix.basename(templatePath);
  const template = readTemplate(shown, source, opts.vars ?? {});
  if (template === undefined) throw new BulwarkError('BWK_E_CLI_IMPORT_TEMPLATE', [shown, 'it is not an AWS SAM, CloudFormation or serverless.yml template']);
  if ('error' in template) throw new BulwarkError('BWK_E_CLI_IMPORT_TEMPLATE', [shown, `it is not valid YAML/JSON (${template.error})`]);
  const fn = pickFunction(template, opts.function, shown);
  const warnings: string[] = [];
  const templateDir = dirname(templatePath);

  const runtime = str(fn.runtime?.node);
  if (runtime && !runtime.startsWith('nodejs')) warnings.push(`${fn.id} uses runtime ${runtime}: Bulwark runs JavaScript and TypeScript only, so the handler must be ported`);

  // Handler: `src/app.lambdaHandler` → module src/app, export lambdaHandler, under CodeUri.
  const handlerText = str(get(fn.properties, fn.kind === 'serverless' ? 'handler' : 'Handler'))
    ?? str(get(template.globals.Function, 'Handler')) ?? 'index.handler';
  const dot = handlerText.lastIndexOf('.');
  const modulePath = dot === -1 ? handlerText : handlerText.slice(0, dot);
  const exportName = dot === -1 ? 'handler' : handlerText.slice(dot + 1);
  const codeUri = fn.kind === 'sam' ? str(get(fn.properties, 'CodeUri')) ?? str(get(template.globals.Function, 'CodeUri')) : undefined;
  const codeDir = resolve(templateDir, codeUri && !/^s3:\/\//.test(codeUri) ? codeUri : '.');
  // Without --out the manifest goes into the code directory, which the template names: a hostile
  // CodeUri (../../.., /etc/x) must not choose where on this machine a file is written.
  const fromTemplate = relative(templateDir, codeDir);
  if (opts.out === undefined && (/^\.\.(?:[\\/]|$)/.test(fromTemplate) || isAbsolute(fromTemplate))) {
    throw new BulwarkError('BWK_E_CLI_USAGE', [`${fn.id}'s CodeUri points outside the template's directory: choose where to write bulwark.yaml with --out`]);
  }
  const outDir = resolve(opts.out ?? codeDir);
  const moduleAbs = resolve(codeDir, modulePath);
  const found = SOURCE_EXTENSIONS.map((ext) => moduleAbs + ext).find((p) => existsSync(p));
  if (!found) warnings.push(`no ${modulePath}.{ts,js,mjs,…} found under ${relative(templateDir, codeDir) || '.'}: the manifest names ${modulePath}.js; correct it if the file is elsewhere`);
  const handlerRel = relative(outDir, found ?? `${moduleAbs}.js`).split('\\').join('/');
  if (handlerRel.startsWith('../') || posix.isAbsolute(handlerRel)) {
    throw new BulwarkError('BWK_E_CLI_USAGE', [`--out ${opts.out} does not contain the handler ${handlerRel}: a manifest names its handler inside its own directory; choose --out at or above the code`]);
  }

  const routes = httpRoutes(template, fn, warnings);
  const otherTriggers = otherEvents(fn, warnings);

  const lines: string[] = [];
  lines.push(`# Imported by \`bulwark import\` from ${shown} (function ${fn.id}). Review every TODO before deploying.`);
  lines.push(`name: ${functionName(fn)}`);
  lines.push(`handler: ${handlerRel}#${exportName}`);
  lines.push('owner: TODO          # required: the email address of the person or team answerable for this function');
  lines.push('expires: TODO        # required: a date like 2027-06-30 (at most a year ahead); the function is disabled after it');
  const formats = new Set(routes.map((r) => r.format));
  if (formats.size === 1 && formats.has('1.0')) lines.push('runtime: { payloadFormat: "1.0" }   # the routes came from a REST API (API Gateway payload 1.0)');
  else if (formats.size > 1) lines.push('# the template mixed REST (1.0) and HTTP API (2.0) events; Bulwark sends one payload format: 2.0 (set runtime.payloadFormat to change it)');
  lines.push('triggers:');
  for (const r of routes) {
    if (r.note) lines.push(`  # ${r.note}`);
    lines.push(`  - http: { method: ${r.method}, path: ${JSON.stringify(r.path)}${r.auth ? `, auth: ${r.auth}` : ''} }`);
  }
  lines.push(...otherTriggers);
  if (routes.length === 0 && otherTriggers.length === 0) {
    lines.push('  # TODO: the template gave this function no HTTP, queue or schedule event; this route needs an API key or a JWT');
    lines.push('  - http: { method: POST, path: "/" }');
    warnings.push(`${fn.id} has no HTTP, queue or schedule event in the template: the manifest has a placeholder POST / route`);
  }
  if (routes.length > 0 || otherTriggers.some((l) => l.includes('queue:'))) {
    lines.push('# input: ./schemas/input.json   # recommended: a JSON Schema of the request body; requests that do not match are refused');
  }
  lines.push(...limitLines(template, fn));
  const envNames = fn.environment.map((e) => e.key);
  if (envNames.length > 0) {
    lines.push(`# Environment variables in the template (values NOT copied): ${envNames.join(', ')}.`);
    lines.push('# Bulwark gives functions an empty environment. Store each secret in the vault with');
    lines.push('#   printf %s "$VALUE" | bulwark secrets set NAME');
    lines.push('# grant it below and read it with `await context.secrets.get(NAME)`; move plain settings into the code.');
    const secretNames = envNames.filter((n) => /^[A-Z][A-Z0-9_]{0,63}$/.test(n));
    lines.push('# permissions:');
    lines.push(`#   secrets: [${secretNames.join(', ')}]`);
    warnings.push(`environment variables not copied: ${envNames.join(', ')} — set secrets with \`bulwark secrets set\` and grant them in permissions.secrets`);
  }
  lines.push('# budget: { limit: 5.00, period: month }   # recommended: caps what the function may cost (denial of wallet)');
  warnings.push('owner and expires are TODO placeholders: the manifest does not validate until you fill them in');
  // Every value above comes from the template: a line break in a handler name, an authorizer name or an
  // environment variable key would start a new line of YAML (a grant, `auth: public`) under a comment.
  const bad = lines.find((l) => CONTROL.test(l));
  if (bad !== undefined) {
    throw new BulwarkError('BWK_E_CLI_IMPORT_TEMPLATE', [shown, `a value in it (function ${JSON.stringify(fn.id)}) holds a line break or control character, which a manifest line cannot carry`]);
  }
  return { outDir, manifest: lines.join('\n') + '\n', functionId: fn.id, warnings };
}

function pickFunction(t: IacTemplate, wanted: string | undefined, shown: string): LambdaFunction {
  const fns = t.functions;
  if (fns.length === 0) throw new BulwarkError('BWK_E_CLI_IMPORT_TEMPLATE', [shown, 'it defines no Lambda function']);
  const names = fns.map((f) => f.id).join(', ');
  if (wanted === undefined) {
    if (fns.length === 1) return fns[0]!;
    throw new BulwarkError('BWK_E_CLI_USAGE', [`${shown} defines ${fns.length} functions (${names}): choose one with --function`]);
  }
  const match = fns.find((f) => f.id === wanted)
    ?? fns.find((f) => str(get(f.properties, f.kind === 'serverless' ? 'name' : 'FunctionName')) === wanted);
  if (!match) throw new BulwarkError('BWK_E_CLI_USAGE', [`${shown} has no function ${wanted}; it defines ${names}`]);
  return match;
}

/** ListOrders / list_orders / listOrders → list-orders, as the manifest's name pattern wants. */
function functionName(fn: LambdaFunction): string {
  const kebab = fn.id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^[^a-z]+/, '').replace(/-+$/, '').slice(0, 63);
  return kebab || 'imported-function';
}

function httpRoutes(t: IacTemplate, fn: LambdaFunction, warnings: string[]): HttpRoute[] {
  const routes: HttpRoute[] = [];
  const add = (methodText: string, pathText: string, format: '1.0' | '2.0', authorizer: string | undefined) => {
    let method = methodText.toUpperCase();
    if (method === '*' || method === 'X-AMAZON-APIGATEWAY-ANY-METHOD') method = 'ANY';
    let path = pathText.startsWith('/') ? pathText : `/${pathText}`;
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    if (path === '/*' || pathText === '*') path = '/{proxy+}';
    if (!METHODS.has(method)) {
      warnings.push(`route ${methodText} ${pathText} skipped: method ${methodText} has no Bulwark equivalent`);
      return;
    }
    if (routes.some((r) => r.method === method && r.path === path)) return;
    const route: HttpRoute = { method, path, format };
    if (authorizer === undefined || authorizer === 'NONE') {
      route.note = 'open in the template (no authorizer): Bulwark requires an API key or a JWT here; add `auth: public` only if it must stay open';
      warnings.push(`${method} ${path} had no authorizer in the template: it now needs an API key or a JWT (default deny)`);
    } else if (/jwt|cognito|oauth|user ?pool/i.test(authorizer)) {
      route.auth = 'jwt';
      route.note = `was protected by the authorizer ${authorizer}: configure its issuer for Bulwark's JWT validation (docs/auth.md)`;
    } else {
      route.note = `was protected by the authorizer ${authorizer}: Bulwark accepts an API key or a JWT here`;
    }
    routes.push(route);
  };
  if (fn.kind === 'sam') {
    for (const ev of samEvents(fn)) {
      if (ev.type !== 'Api' && ev.type !== 'HttpApi') continue;
      const p = ev.properties;
      const own = at(p, 'Auth', 'Authorizer');
      const apiId = refTarget(get(p, ev.type === 'Api' ? 'RestApiId' : 'ApiId'));
      const api = apiId === undefined ? undefined : t.resources.find((r) => r.id === apiId)?.properties;
      const global = ev.type === 'Api' ? t.globals.Api : t.globals.HttpApi;
      const auth = own ? text(own) ?? 'custom' : text(at(api, 'Auth', 'DefaultAuthorizer')) ?? text(at(global, 'Auth', 'DefaultAuthorizer'))
        ?? (isTrue(at(p, 'Auth', 'ApiKeyRequired')) ? 'API key' : undefined);
      const defaultFormat = ev.type === 'Api' ? '1.0' : '2.0';
      const declared = text(get(p, 'PayloadFormatVersion')) ?? text(get(api, 'PayloadFormatVersion'));
      add(str(get(p, 'Method')) ?? 'ANY', str(get(p, 'Path')) ?? '/', declared === '1.0' ? '1.0' : declared === '2.0' ? '2.0' : defaultFormat, auth);
    }
  }
  if (fn.kind === 'serverless') {
    for (const ev of serverlessEvents(fn.properties)) {
      if (ev.type !== 'http' && ev.type !== 'httpApi') continue;
      const format = ev.type === 'http' ? '1.0' : '2.0';
      const short = str(ev.value);
      if (short !== undefined) {
        const [m, p] = short === '*' ? ['ANY', '/{proxy+}'] : short.trim().split(/\s+/);
        add(m ?? 'ANY', p ?? '/', format, undefined);
        continue;
      }
      const authorizer = get(ev.value, 'authorizer');
      const authName = authorizer === undefined ? (isTrue(get(ev.value, 'private')) ? 'API key' : undefined)
        : text(authorizer) ?? text(get(authorizer, 'type')) ?? text(get(authorizer, 'name')) ?? 'custom';
      add(str(get(ev.value, 'method')) ?? 'ANY', str(get(ev.value, 'path')) ?? '/', format, authName);
    }
  }
  return routes;
}

/** Queue and schedule triggers, and comments for events Bulwark cannot take over. */
function otherEvents(fn: LambdaFunction, warnings: string[]): string[] {
  const lines: string[] = [];
  const schedule = (expr: string | undefined, where: string) => {
    const cron = expr === undefined ? undefined : scheduleToCron(expr);
    if (cron) lines.push(`  - schedule: { cron: ${JSON.stringify(cron)} }   # from ${expr} (UTC); check day-of-week numbers: AWS counts 1-7 from Sunday`);
    else warnings.push(`${where} schedule ${expr ?? '?'} could not be converted: add a schedule trigger by hand`);
  };
  const queue = (name: string, kind: string) => {
    const subject = name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'imported';
    lines.push(`  - queue: { subject: ${subject} }   # TODO: was the ${kind} ${name}; publish to this subject with \`bulwark publish\``);
  };
  if (fn.kind === 'sam') {
    for (const ev of samEvents(fn)) {
      const p = ev.properties;
      if (ev.type === 'Schedule' || ev.type === 'ScheduleV2') schedule(text(get(p, 'Schedule')) ?? text(get(p, 'ScheduleExpression')), `event ${ev.name}`);
      else if (ev.type === 'SQS' || ev.type === 'SNS') queue(refName(get(p, ev.type === 'SQS' ? 'Queue' : 'Topic')) ?? ev.name, ev.type === 'SQS' ? 'SQS queue' : 'SNS topic');
      else if (ev.type !== 'Api' && ev.type !== 'HttpApi') warnings.push(`event ${ev.name} (${ev.type}) has no Bulwark trigger: not imported`);
    }
  }
  if (fn.kind === 'serverless') {
    for (const ev of serverlessEvents(fn.properties)) {
      if (ev.type === 'schedule') schedule(text(ev.value) ?? text(get(ev.value, 'rate')) ?? text(items0(get(ev.value, 'rate'))), 'event');
      else if (ev.type === 'sqs') queue(refName(ev.value) ?? refName(get(ev.value, 'arn')) ?? 'sqs', 'SQS queue');
      else if (ev.type === 'sns') queue(text(ev.value) ?? text(get(ev.value, 'topicName')) ?? 'sns', 'SNS topic');
      else if (ev.type !== 'http' && ev.type !== 'httpApi') warnings.push(`event ${ev.type} has no Bulwark trigger: not imported`);
    }
  }
  return lines;
}

function items0(node: PNode | undefined): PNode | undefined {
  return node?.type === 'seq' ? node.items[0] : undefined;
}

/** A readable name for a queue or topic: the last part of an ARN, a Ref's logical id, or GetAtt's resource. */
function refName(node: PNode | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'fn') {
    const arg = node.arg.type === 'seq' ? node.arg.items[0] : node.arg;
    return text(arg)?.split('.')[0];
  }
  const s = text(node);
  return s?.split(':').pop();
}

/** rate(5 minutes) / cron(0 12 * * ? *) → a 5-field cron, or undefined. */
function scheduleToCron(expr: string): string | undefined {
  const rate = /^rate\(\s*([0-9]+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/.exec(expr.trim());
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2]!;
    if (unit.startsWith('minute')) return n === 1 ? '* * * * *' : n < 60 ? `*/${n} * * * *` : undefined;
    if (unit.startsWith('hour')) return n === 1 ? '0 * * * *' : n < 24 ? `0 */${n} * * *` : undefined;
    return n === 1 ? '0 0 * * *' : n < 32 ? `0 0 */${n} * *` : undefined;
  }
  const cron = /^cron\((.+)\)$/.exec(expr.trim());
  if (!cron) return undefined;
  const fields = cron[1]!.trim().split(/\s+/);
  if (fields.length !== 6) return undefined;
  // AWS adds a year field and writes `?` for "no specific value" in day-of-month or day-of-week.
  return fields.slice(0, 5).map((f) => (f === '?' ? '*' : f)).join(' ');
}

function limitLines(t: IacTemplate, fn: LambdaFunction): string[] {
  const pick = (own: string, global: string[]) => {
    const mine = get(fn.properties, own);
    if (mine) return text(mine);
    return text(fn.kind === 'serverless' ? at(t.serverless?.provider, ...global) : at(t.globals.Function, ...global));
  };
  const memory = Number(fn.kind === 'serverless' ? pick('memorySize', ['memorySize']) : pick('MemorySize', ['MemorySize']));
  const timeout = Number(fn.kind === 'serverless' ? pick('timeout', ['timeout']) : pick('Timeout', ['Timeout']));
  const reserved = Number(text(fn.reservedConcurrency?.node));
  const parts: string[] = [];
  const notes: string[] = [];
  if (Number.isFinite(timeout) && timeout > 0) {
    const s = Math.min(Math.max(Math.round(timeout), 1), 900);
    parts.push(`timeout: ${s}s`);
    if (s > 30) notes.push('a long timeout lets each call cost that long: lower it if the handler allows');
  }
  if (Number.isFinite(memory) && memory > 0) {
    const mb = Math.min(Math.max(Math.round(memory), 32), 4096);
    parts.push(`memory: ${mb}MB`);
    if (mb !== memory) notes.push(`memory ${memory}MB is outside Bulwark's 32MB-4096MB and was clamped`);
  }
  if (Number.isFinite(reserved) && reserved >= 1) parts.push(`concurrency: ${Math.min(Math.round(reserved), 1000)}`);
  if (parts.length === 0) return [];
  return [`limits: { ${parts.join(', ')} }`, ...notes.map((n) => `# ${n}`)];
}

/** Writes nothing itself; the command does (so that a failure leaves no partial file). */
export function manifestPath(result: ImportResult): string {
  return join(result.outDir, 'bulwark.yaml');
}
