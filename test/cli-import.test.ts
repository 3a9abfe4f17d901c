// `bulwark import` as a user runs it: the real CLI process on a SAM template and a serverless.yml, then
// the written bulwark.yaml through the real manifest loader — refused while owner and expires are TODO,
// valid once they are filled in, with the routes, auth and limits the template said.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadManifest } from '../src/manifest/load.ts';

const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
let work: string;

interface Run { code: number; stdout: string; stderr: string }

function cli(args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [main, ...args], { cwd: work, env: { PATH: process.env.PATH ?? '' }, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function write(rel: string, text: string): void {
  mkdirSync(join(work, rel, '..'), { recursive: true });
  writeFileSync(join(work, rel), text);
}

/** The manifest with its TODO placeholders filled in, as the user is told to. */
function fill(dir: string): void {
  const path = join(dir, 'bulwark.yaml');
  writeFileSync(path, readFileSync(path, 'utf8').replace(/^owner: TODO/m, 'owner: team@example.com').replace(/^expires: TODO/m, 'expires: 2027-06-30'));
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'bwk-import-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

const SAM = `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: nodejs22.x
    Timeout: 10
    MemorySize: 512
Resources:
  OrdersApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: CognitoAuth
        Authorizers:
          CognitoAuth: { UserPoolArn: !GetAtt Pool.Arn }
  ListOrders:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: orders/
      Handler: src/list.lambdaHandler
      ReservedConcurrentExecutions: 20
      Environment:
        Variables:
          TABLE_NAME: !Ref Orders
          DB_PASSWORD: hunter2
      Events:
        List:
          Type: Api
          Properties: { RestApiId: !Ref OrdersApi, Path: /orders, Method: get }
        Health:
          Type: Api
          Properties:
            RestApiId: !Ref OrdersApi
            Path: /health/
            Method: get
            Auth: { Authorizer: NONE }
        Nightly:
          Type: Schedule
          Properties: { Schedule: cron(0 3 * * ? *) }
  Other:
    Type: AWS::Serverless::Function
    Properties: { CodeUri: other/, Handler: index.handler }
`;

test('SAM: a function with routes, auth, limits and environment becomes a manifest that loads once filled', async () => {
  write('sam/template.yaml', SAM);
  write('sam/orders/src/list.ts', 'export const lambdaHandler = async () => ({ statusCode: 200, body: "[]" });\n');

  const ambiguous = await cli(['import', 'sam/template.yaml']);
  assert.equal(ambiguous.code, 2, ambiguous.stderr);
  assert.match(ambiguous.stderr, /^error BWK_E_CLI_USAGE: .*2 functions \(ListOrders, Other\).*--function/m);

  const r = await cli(['import', 'sam/template.yaml', '--function', 'ListOrders']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrote sam\/orders\/bulwark\.yaml from function ListOrders/);
  assert.match(r.stderr, /environment variables not copied: TABLE_NAME, DB_PASSWORD/);
  assert.match(r.stderr, /GET \/health had no authorizer/);
  const dir = join(work, 'sam/orders');
  const text = readFileSync(join(dir, 'bulwark.yaml'), 'utf8');
  assert.doesNotMatch(text, /hunter2/, 'environment values are never copied');
  assert.match(text, /bulwark secrets set/);

  await assert.rejects(loadManifest(dir), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'BWK_E_MANIFEST_INVALID');
    assert.match(err.message, /owner/);
    assert.match(err.message, /expires/);
    return true;
  }, 'placeholders must fail validation');

  fill(dir);
  const { manifest } = await loadManifest(dir);
  assert.equal(manifest.name, 'list-orders');
  assert.deepEqual(manifest.handler, { file: 'src/list.ts', export: 'lambdaHandler' });
  assert.equal(manifest.runtime.payloadFormat, '1.0');
  assert.deepEqual(manifest.triggers.http, [
    { method: 'GET', path: '/orders', auth: 'jwt' },
    { method: 'GET', path: '/health' },
  ]);
  assert.deepEqual(manifest.triggers.schedule, [{ cron: '0 3 * * *', payload: {} }]);
  assert.equal(manifest.limits.timeoutMs, 10_000);
  assert.equal(manifest.limits.memoryMb, 512);
  assert.equal(manifest.limits.concurrency, 20);
  assert.equal(manifest.permissions.secrets, undefined, 'no grant is made on the user\'s behalf');

  const again = await cli(['import', 'sam/template.yaml', '--function', 'ListOrders']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^error BWK_E_CLI_EXISTS: /m);
});

test('serverless.yml: variables resolved, http and httpApi events, --out', async () => {
  write('sls/serverless.yml', `service: notes
provider:
  name: aws
  runtime: nodejs22.x
  timeout: \${self:custom.timeouts.\${opt:stage, 'dev'}}
  environment:
    NOTES_TABLE: notes-\${sls:stage}
custom:
  timeouts: { dev: 6, prod: 3 }
functions:
  notesApi:
    handler: handlers/notes.main
    memorySize: 256
    events:
      - httpApi: 'GET /notes'
      - httpApi:
          method: post
          path: /notes
          authorizer: { name: jwtAuth }
      - http:
          path: notes/{id}
          method: delete
`);
  write('sls/handlers/notes.mjs', 'export async function main() { return { statusCode: 204 }; }\n');
  // --opt takes one value (repeatable, as in `bulwark scan`): before the template it does not swallow it.
  const r = await cli(['import', '--opt', 'stage=prod', 'sls/serverless.yml', '--out', 'sls']);
  assert.equal(r.code, 0, r.stderr);
  const dir = join(work, 'sls');
  fill(dir);
  const { manifest } = await loadManifest(dir);
  assert.equal(manifest.name, 'notes-api');
  assert.deepEqual(manifest.handler, { file: 'handlers/notes.mjs', export: 'main' });
  assert.equal(manifest.runtime.payloadFormat, '2.0', 'mixed REST and HTTP API events use 2.0');
  assert.deepEqual(manifest.triggers.http, [
    { method: 'GET', path: '/notes' },
    { method: 'POST', path: '/notes', auth: 'jwt' },
    { method: 'DELETE', path: '/notes/{id}' },
  ]);
  assert.equal(manifest.limits.timeoutMs, 3_000, '${opt:stage} came from --opt');
  assert.equal(manifest.limits.memoryMb, 256);
  assert.match(r.stderr, /NOTES_TABLE/);
});

test('a file that is not a template is refused and nothing is written', async () => {
  write('plain/config.yaml', 'name: not-a-template\nitems: [1, 2]\n');
  const r = await cli(['import', 'plain/config.yaml', '--out', 'plain/out']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error BWK_E_CLI_IMPORT_TEMPLATE: Cannot import config\.yaml: it is not an AWS SAM/m);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
  assert.throws(() => readFileSync(join(work, 'plain/out/bulwark.yaml')));
});
