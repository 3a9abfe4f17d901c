// `bulwark doctor`: what protects functions on this machine and why — Node version, the isolation layers
// the sandbox would use (from probeIsolation, the same probe the gateway runs), the data directory's
// permissions — plus the status of the gateway when one is reachable. Exit 1 when a check fails.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { loadConfig, resolveHome, type Config } from '../../config.ts';
import { BulwarkError } from '../../errors.ts';
import { probeIsolation } from '../../runtime/sandbox/process/index.ts';
import { metricsTokenPath } from '../../telemetry/metrics-token.ts';
import { createClient, resolveTarget } from '../client.ts';
import { printJson, type CliIo } from '../io.ts';

type Status = 'ok' | 'warn' | 'fail';

export interface Check {
  name: string;
  status: Status;
  detail: string;
}

const minNodeMajor = 26;

export function doctorCommand(io: CliIo): Command {
  return new Command('doctor')
    .description('check the isolation layers, data directory and gateway on this machine')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const home = resolveHome(io.env);
      const config = loadConfig(home, {}, io.env);
      const checks: Check[] = [];

      const major = Number(process.versions.node.split('.')[0]);
      checks.push({
        name: 'node', status: major >= minNodeMajor ? 'ok' : 'fail',
        detail: `v${process.versions.node} (Bulwark needs >= ${minNodeMajor})`,
      });

      const isolation = await probeIsolation(config);
      for (const layer of isolation.layers) {
        // In strict mode every layer is required; otherwise an absent optional layer is a warning.
        const status: Status = layer.active ? 'ok' : config.isolation === 'strict' ? 'fail' : 'warn';
        checks.push({ name: `isolation: ${layer.name}`, status, detail: layer.detail });
      }
      const configFile = join(home, 'config.yaml');
      checks.push({
        name: 'isolation mode', status: 'ok',
        detail: `${config.isolation} (${existsSync(configFile) ? `from ${configFile}` : 'the default; set isolation: strict in config.yaml to require every layer'})`,
      });

      checks.push(...dataDirChecks(home));
      checks.push(...telemetryChecks(config));

      const gateway = await gatewayStatus(io);
      checks.push(gateway.check);

      if (opts.json) {
        printJson(io, { home, isolation, checks, gateway: gateway.status });
      } else {
        const width = Math.max(...checks.map((c) => c.name.length));
        const mark = { ok: '✔', warn: '!', fail: '✖' } as const;
        for (const c of checks) io.stdout.write(`${mark[c.status]} ${c.name.padEnd(width)}  ${c.detail}\n`);
      }
      const failed = checks.filter((c) => c.status === 'fail').length;
      if (failed > 0) throw new BulwarkError('BWK_E_CLI_CHECKS_FAILED', [failed]);
    });
}

/** Metrics and tracing as config.yaml sets them (docs/metrics.md); never the token itself. */
export function telemetryChecks(config: Config): Check[] {
  const checks: Check[] = [];
  if (!config.metrics.enabled) {
    checks.push({ name: 'metrics', status: 'ok', detail: 'off (metrics.enabled: false)' });
  } else {
    const file = metricsTokenPath(config.home, config.metrics.tokenFile);
    if (!existsSync(file)) {
      checks.push(config.metrics.tokenFile === null
        ? { name: 'metrics', status: 'ok', detail: `GET /metrics; its token is generated into ${file} on first start` }
        : { name: 'metrics', status: 'fail', detail: `metrics.tokenFile ${file} does not exist: the gateway will not start` });
    } else {
      const m = statSync(file).mode & 0o777;
      checks.push(m & 0o077
        ? { name: 'metrics', status: 'fail', detail: `${file} mode ${m.toString(8).padStart(4, '0')}: the scrape token is readable by others, run chmod 600` }
        : { name: 'metrics', status: 'ok', detail: `GET /metrics with the token in ${file}` });
    }
  }
  const t = config.tracing;
  checks.push({
    name: 'tracing', status: 'ok',
    detail: t.enabled ? `on: OTLP/HTTP to ${t.otlpEndpoint}, service ${t.serviceName}, sampleRatio ${t.sampleRatio}` : 'off (tracing.enabled: false)',
  });
  return checks;
}

/** The data directory holds the store and the admin credentials: nobody but its owner may read it. */
function dataDirChecks(home: string): Check[] {
  if (!existsSync(home)) {
    return [{ name: 'data dir', status: 'warn', detail: `${home} does not exist yet (created by bulwark serve)` }];
  }
  const checks: Check[] = [];
  const mode = statSync(home).mode & 0o777;
  checks.push({
    name: 'data dir', status: mode & 0o077 ? 'fail' : 'ok',
    detail: `${home} mode ${mode.toString(8).padStart(4, '0')}${mode & 0o077 ? ': others can read it, run chmod 700' : ''}`,
  });
  const open = readdirSync(home).filter((f) => statSync(join(home, f)).mode & 0o077);
  const cred = join(home, 'credentials.json');
  if (existsSync(cred)) {
    const m = statSync(cred).mode & 0o777;
    checks.push({
      name: 'credentials', status: m & 0o077 ? 'fail' : 'ok',
      detail: `${cred} mode ${m.toString(8).padStart(4, '0')}${m & 0o077 ? ': holds the admin key, run chmod 600' : ''}`,
    });
  }
  if (open.length > 0 && !(mode & 0o077)) {
    checks.push({ name: 'data files', status: 'warn', detail: `group/other permissions on ${open.join(', ')} (the directory itself is private)` });
  }
  return checks;
}

async function gatewayStatus(io: CliIo): Promise<{ check: Check; status: unknown }> {
  let target;
  try {
    target = resolveTarget(io.env);
  } catch (err) {
    return { check: { name: 'gateway', status: 'warn', detail: (err as Error).message }, status: null };
  }
  const client = createClient(target, { requireKey: false });
  try {
    if (!target.apiKey) {
      const health = await client.send('GET', '/healthz');
      return {
        check: { name: 'gateway', status: health.status === 200 ? 'ok' : 'warn', detail: `${target.url} healthz HTTP ${health.status} (no API key for status)` },
        status: null,
      };
    }
    const status = await client.admin<{ node?: unknown; store?: unknown; isolation?: unknown; functions?: unknown }>('GET', '/admin/v1/status');
    return { check: { name: 'gateway', status: 'ok', detail: `${target.url} is up: ${summarise(status)}` }, status };
  } catch (err) {
    return { check: { name: 'gateway', status: 'warn', detail: `${target.url}: ${(err as Error).message}` }, status: null };
  }
}

function summarise(status: Record<string, unknown>): string {
  return Object.entries(status)
    .map(([k, v]) => `${k} ${typeof v === 'object' && v !== null ? compact(v as Record<string, unknown>) : String(v)}`)
    .join('; ');
}

function compact(v: Record<string, unknown>): string {
  return Object.entries(v).filter(([, x]) => typeof x !== 'object').map(([k, x]) => `${k}=${String(x)}`).join(' ');
}
