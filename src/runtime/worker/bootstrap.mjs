// The in-sandbox bootstrap: the first and only project code a worker process runs. It must be readable
// alone under `node --permission` (read access is granted to this file and the bundle only), so it
// imports nothing but node: built-ins. Order matters: it takes the channel to the gateway, sweeps
// inherited file descriptors, empties the environment and closes every built-in a function does not
// need BEFORE the user bundle is imported. See docs/sandbox.md for the audit behind each closure.
//
// Wire format on fd 3: one JSON object per line, both ways. The gateway validates everything we send
// (src/runtime/broker/protocol.ts); nothing here is a security boundary on its own except the closures.

import { Socket } from 'node:net';
import { readdirSync, readFileSync, closeSync, mkdirSync, rmdirSync } from 'node:fs';
import { format, inspect } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Buffer } from 'node:buffer';
import module, { isBuiltin } from 'node:module';
import asyncHooks from 'node:async_hooks';
import os from 'node:os';

const IPC_FD = 3;
const O_CLOEXEC = 0o2000000;
const stringify = JSON.stringify;
const parse = JSON.parse;
// Captured now: user code may replace fs methods later, and these two manage its scratch dir.
const makeDir = mkdirSync;
const removeEmptyDir = rmdirSync;
// Also captured: finish() writes the end mark through these however user code rewires process.stdout.
const stdout = process.stdout;
const stderr = process.stderr;
const writeStdout = stdout.write;
const writeStderr = stderr.write;
// worker.ts OUTPUT_END_MARK: tells the gateway the invocation's output on this pipe is complete.
const OUTPUT_END_MARK = '\u0000bwk:end:';

// ---- 1. the channel, captured privately -----------------------------------------------------------
const channel = new Socket({ fd: IPC_FD, readable: true, writable: true });
// Log lines (notifications, see logLine) are held and leave with the next frame or at the end of this
// turn of the event loop, whichever comes first: a handler that logs and returns sends one write
// instead of two, and the gateway reads once. That gave ~9 % more invocations/s of examples/hello
// (docs/benchmarks.md). Each line carries the time it was logged at. A line logged before the event
// loop gets a turn (synchronous code or a chain of microtasks) that then hangs or crashes the process
// (timeout, memory) is lost with it; an exit through process.exit still flushes.
const MAX_HELD = 64 * 1024;
const defer = setImmediate;
let held = '';
function flushHeld() {
  if (held === '') return;
  const lines = held;
  held = '';
  channel.write(lines);
}
function sendText(json) {
  const line = json + '\n';
  if (held === '') { channel.write(line); return; }
  held += line;
  flushHeld();
}
function send(msg) {
  sendText(stringify(msg));
}
function notifyText(json) {
  if (held === '') defer(flushHeld);
  held += json + '\n';
  if (held.length > MAX_HELD) flushHeld();
}
/**
 * `json`, the text of a non-empty object, with `key` added as its last property and `valueJson` as its value:
 * a result or log fields already encoded once (to check them) go into the frame as they are.
 */
function withJson(json, key, valueJson) {
  return `${json.slice(0, -1)},${stringify(key)}:${valueJson}}`;
}
process.on('exit', flushHeld);

// ---- 2. inherited descriptors: only 0-2 and the channel may survive from the parent ---------------
// Node opens its own descriptors with O_CLOEXEC; anything without it was leaked by whoever started
// the gateway and must not reach user code.
for (const name of readdirSync('/proc/self/fdinfo')) {
  const fd = Number(name);
  if (fd <= IPC_FD) continue;
  let info;
  try { info = readFileSync(`/proc/self/fdinfo/${name}`, 'latin1'); } catch { continue; }
  const m = /flags:\s*([0-7]+)/.exec(info);
  if (m && (parseInt(m[1], 8) & O_CLOEXEC) === 0) { try { closeSync(fd); } catch { /* already gone */ } }
}

// ---- 3. the environment: empty (the gateway passes none, bwrap clears its own) --------------------
for (const k of Object.keys(process.env)) delete process.env[k];
// process.env is a plain object from here on, not the C environment. setenv(3) keeps every distinct
// NAME=value string it was given for the life of the process (glibc cannot know whether a pointer from
// getenv still uses it), and the bootstrap sets TMPDIR to a new path for every invocation: ~120 MB per
// million invocations, until the watchdog killed the worker as over its memory. A function setting a
// per-request name (a trace id) would do the same. Nothing in a worker reads the C environment but
// os.tmpdir(), replaced below, and the time zone: TZ alone is passed through (Node resets its zone then).
// The proxy keeps Node's semantics: values become strings, the object cannot be frozen, and it prints
// as its names and values (util.inspect would show the proxy; the hook sits on the prototype, so no
// own key is added).
const envValues = Object.create(Object.freeze(Object.create(Object.prototype, {
  [inspect.custom]: { value: () => ({ ...envValues }) },
})));
const realEnv = process.env;
const passedThrough = (key) => key === 'TZ';
// Own data properties, defined rather than assigned: a setter a function put on Object.prototype must
// neither swallow a name nor be handed the object behind the proxy.
const ownValue = (value) => ({ value, writable: true, enumerable: true, configurable: true });
function setEnv(target, key, value) {
  if (typeof key !== 'string') return false; // as Node's: names are strings
  const text = `${value}`;
  if (!Reflect.defineProperty(target, key, ownValue(text))) return false;
  if (passedThrough(key)) realEnv[key] = text;
  return true;
}
process.env = new Proxy(envValues, {
  set: setEnv,
  defineProperty(target, key, desc) {
    // As Node's own: a plain value that is configurable, writable and enumerable, or nothing.
    if (!('value' in desc) || desc.configurable !== true || desc.writable !== true || desc.enumerable !== true) return false;
    return setEnv(target, key, desc.value);
  },
  deleteProperty(target, key) {
    delete target[key];
    if (passedThrough(key)) delete realEnv[key];
    return true;
  },
  preventExtensions: () => false,
});
// Node's os.tmpdir() reads the C environment (TMPDIR, TMP, TEMP, else /tmp, a trailing slash dropped).
os.tmpdir = function tmpdir() {
  const own = (name) => (Object.hasOwn(envValues, name) ? envValues[name] : undefined);
  const dir = own('TMPDIR') || own('TMP') || own('TEMP') || '/tmp';
  return dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir;
};

let init;
let current; // the in-flight invocation: { id, requestId, deadline, tmpdir }
let loading = false; // between init and ready/load-error
let nextCall = 1;
const pendingCalls = new Map();

// The gateway refuses frames it cannot hold (protocol.ts: 64K chars of text, 16K of log fields) and
// kills the worker for them, so whatever user code says is cut here first; the gateway still enforces
// its hard caps, and cuts log messages at the same 8 KiB (function-log.ts).
const MAX_TEXT = 8 * 1024;
const MAX_FIELDS_JSON = 16 * 1024;
function clip(text, max = MAX_TEXT) {
  return text.length > max ? `${text.slice(0, max)}…[truncated ${text.length - max} chars]` : text;
}

// The gateway takes `denied` frames only while loading or during an invocation, at most this many each
// time (worker.ts MAX_DENIED_FRAMES), and kills a worker that sends more: raw writes to fd 3 could
// otherwise flood the security-event stream. Denials past the cap still throw, they are just not sent.
const MAX_DENIED_FRAMES = 8;
let deniedSent = 0;

function denied(what) {
  if ((current || loading) && deniedSent < MAX_DENIED_FRAMES) {
    deniedSent++;
    send({ t: 'denied', what: clip(what, 200) });
  }
  const err = new Error(`Access to ${what} is denied in the Bulwark sandbox`);
  err.code = 'ERR_ACCESS_DENIED';
  return err;
}

// ---- 4. closed built-ins ----------------------------------------------------------------------------
// Modules that open sockets, spawn code, or (node:sqlite) do file I/O the permission model does not see.
const DENIED_MODULES = new Set([
  'child_process', 'cluster', 'worker_threads', 'net', 'tls', 'dgram', 'dns', 'dns/promises',
  'http', 'https', 'http2', 'inspector', 'inspector/promises', 'sqlite', 'wasi', 'repl', 'trace_events', 'v8',
]);
// vm, Module#_compile and data: URLs compile source text without passing V8's code-generation check.
const CODEGEN_MODULES = new Set(['vm']);

function closeBuiltins(allowCodeGeneration) {
  const isDenied = (specifier) => {
    const bare = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
    if (!isBuiltin(specifier)) return false;
    return DENIED_MODULES.has(bare) || (!allowCodeGeneration && CODEGEN_MODULES.has(bare));
  };
  const bundleUrl = pathToFileURL(init.bundle).href;
  module.registerHooks({
    resolve(specifier, context, nextResolve) {
      if (isDenied(specifier)) throw denied(specifier.startsWith('node:') ? specifier : `node:${specifier}`);
      if (!allowCodeGeneration && /^data:/i.test(specifier)) throw denied('data: URL import');
      const resolved = nextResolve(specifier, context);
      // The bundle is the only code a function has: a file it writes into its tmpdir and then
      // import()s or require()s would be code generated at run time by another name.
      if (!allowCodeGeneration && /^file:/i.test(resolved.url) && resolved.url !== bundleUrl) {
        throw denied('loading a file other than the bundle');
      }
      return resolved;
    },
  });
  const getBuiltinModule = process.getBuiltinModule;
  process.getBuiltinModule = function getBuiltinModuleChecked(id) {
    if (typeof id === 'string' && isDenied(id)) throw denied(id);
    return getBuiltinModule.call(process, id);
  };
  // Hooks are ours alone: user hooks could feed source text to the loader.
  module.register = () => { throw denied('module.register'); };
  module.registerHooks = () => { throw denied('module.registerHooks'); };
  if (!allowCodeGeneration) {
    module.Module.prototype._compile = () => { throw denied('Module#_compile'); };
    delete globalThis.WebAssembly;
  }
  // Signals are not covered by the permission model: process.kill(ppid) or _debugProcess(ppid)
  // (SIGUSR1 opens the gateway's inspector) would reach any process of the same user.
  const closed = ['kill', '_kill', '_debugProcess', '_debugEnd', 'binding', '_linkedBinding', 'dlopen',
    'setuid', 'setgid', 'seteuid', 'setegid', 'setgroups', 'initgroups', 'execve', 'loadEnvFile', 'chdir',
    '_getActiveHandles', '_getActiveRequests', '_startProfilerIdleNotifier', '_stopProfilerIdleNotifier'];
  for (const name of closed) {
    Object.defineProperty(process, name, {
      value: function deniedProcessMethod() { throw denied(`process.${name}`); },
      writable: false, configurable: false, enumerable: false,
    });
  }
  // process.report writes files through its own path handling and reveals host details.
  Object.defineProperty(process, 'report', { value: Object.freeze({}), writable: false, configurable: false });
  // async_hooks.createHook sees every resource, including the channel socket above.
  asyncHooks.createHook = () => { throw denied('async_hooks.createHook'); };
  // Priorities are not covered by the permission model either: os.setPriority(pid) renices any process
  // of the same user (every process as root), the gateway included. Of os.*, it is the only call that
  // acts on another process; getPriority(pid) would probe which pids exist, so only our own is readable.
  os.setPriority = function setPriority() { throw denied('os.setPriority'); };
  const getPriority = os.getPriority;
  os.getPriority = function getPriorityOwn(pid) {
    if (pid !== undefined && pid !== 0 && pid !== process.pid) throw denied('os.getPriority of another process');
    return getPriority();
  };
  module.syncBuiltinESMExports();
  // Networking exists only as the broker-backed fetch below.
  delete globalThis.WebSocket;
  delete globalThis.EventSource;
}

// ---- 5. capabilities: the only way out, over the channel -------------------------------------------
function call(cap, args) {
  if (!current) return Promise.reject(new Error(`context.${cap} used outside an invocation`));
  const id = nextCall++;
  return new Promise((resolve, reject) => {
    pendingCalls.set(id, { resolve, reject });
    send({ t: 'cap', id: current.id, call: id, cap, args });
  });
}

function logLine(level, message, fields) {
  const text = clip(message);
  // Outside an invocation this is output while idle, which the gateway budgets (worker.ts).
  if (!current) { process.stdout.write(`[${level}] ${text}\n`); return; }
  // Sent as a notification (call 0): a log line needs no answer, so the gateway sends none.
  const args = stringify({ level, message: text, at: Date.now() });
  const frame = stringify({ t: 'cap', id: current.id, call: 0, cap: 'log' });
  notifyText(withJson(frame, 'args', fields === undefined ? args : withJson(args, 'fields', logFieldsJson(fields))));
}

/** Fields as the JSON text of an object the gateway accepts: at most MAX_FIELDS_JSON chars, or a note why not. */
function logFieldsJson(fields) {
  const asText = () => stringify({ value: clip(format(fields), 1024) });
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) return asText();
  let json;
  try { json = stringify(fields); } catch { return stringify({ truncated: 'fields are not JSON-serialisable' }); }
  // A toJSON() can make an object anything in JSON (a Date is a string) or nothing: logged as text then.
  if (json === undefined || json[0] !== '{') return asText();
  if (json.length > MAX_FIELDS_JSON) return stringify({ truncated: `${json.length} chars of fields exceed ${MAX_FIELDS_JSON}` });
  return json;
}

async function brokerFetch(input, initArg) {
  if (!init.capabilities.includes('fetch')) throw denied('fetch (no egress is granted in the manifest)');
  const req = new Request(input, initArg);
  const body = req.body === null ? null : Buffer.from(await req.arrayBuffer()).toString('base64');
  const res = await call('fetch', { url: req.url, method: req.method, headers: [...req.headers], body });
  const bytes = Buffer.from(res.body, 'base64');
  const nullBody = res.status === 204 || res.status === 205 || res.status === 304 || req.method === 'HEAD';
  const response = new Response(nullBody ? null : bytes, { status: res.status, statusText: res.statusText, headers: res.headers });
  Object.defineProperty(response, 'url', { value: res.url });
  return response;
}

// context.invoke(name, payload): the gateway checks the grant (permissions.invoke), signs the call and
// runs the callee; the answer is the callee's HTTP response {statusCode, headers, body}.
function invokeFunction(name, payload) {
  if (typeof name !== 'string' || !/^[a-z][a-z0-9-]{0,62}$/.test(name)) {
    return Promise.reject(new TypeError('context.invoke(name, payload): name must be a function name such as resize-image'));
  }
  let json;
  try { json = payload === undefined ? undefined : stringify(payload); } catch {
    return Promise.reject(new TypeError('context.invoke(name, payload): payload must be JSON-serialisable'));
  }
  return call('invoke', { name, payload: json === undefined ? null : parse(json) });
}

// context.secrets.get(name): the gateway checks the grant (permissions.secrets) and records the use.
const secretsApi = Object.freeze({
  get(name) {
    if (typeof name !== 'string' || name.length === 0 || name.length > 64) {
      return Promise.reject(new TypeError('context.secrets.get(name): name must be a secret name such as STRIPE_KEY'));
    }
    return call('secrets', { name });
  },
});

// context.kv: the gateway checks the grant (permissions.kv) and every bound (key bytes, value size,
// entries per namespace) and records the use. Here only what the channel carries is shaped: values
// travel as JSON text, and strings beyond the wire bounds of src/runtime/capabilities/kv.ts (KV_WIRE)
// are refused before they are sent, since the gateway treats such frames as a protocol breach.
const KV_WIRE = { namespace: 256, key: 2048, valueChars: 256 * 1024 };
const KV_LIST_DEFAULT = 100;

function kvString(method, field, v, max) {
  if (typeof v !== 'string' || v.length > max) throw new TypeError(`context.kv.${method}: ${field} must be a string of at most ${max} characters`);
  return v;
}

function kvNamespace(method, v) {
  if (v === '') throw new TypeError(`context.kv.${method}: namespace must not be empty`);
  return kvString(method, 'namespace', v, KV_WIRE.namespace);
}

function kvCall(method, build) {
  let args;
  try { args = build(); } catch (err) { return Promise.reject(err); }
  return call('kv', { op: method, ...args });
}

const kvApi = Object.freeze({
  get(namespace, key) {
    return kvCall('get', () => ({ namespace: kvNamespace('get', namespace), key: kvString('get', 'key', key, KV_WIRE.key) }))
      .then((json) => (json === undefined || json === null ? undefined : parse(json)));
  },
  put(namespace, key, value) {
    return kvCall('put', () => {
      let json;
      try { json = stringify(value); } catch (err) { throw new TypeError(`context.kv.put: value is not JSON-serialisable (${err && err.message})`); }
      if (typeof json !== 'string') throw new TypeError('context.kv.put: value is not JSON-serialisable (undefined, a function or a symbol)');
      if (json.length > KV_WIRE.valueChars) throw Object.assign(new Error(`Key-value value exceeds ${KV_WIRE.valueChars / 4} bytes of JSON`), { code: 'BWK_E_KV_VALUE_TOO_LARGE' });
      return { namespace: kvNamespace('put', namespace), key: kvString('put', 'key', key, KV_WIRE.key), value: json };
    }).then(() => undefined);
  },
  delete(namespace, key) {
    return kvCall('delete', () => ({ namespace: kvNamespace('delete', namespace), key: kvString('delete', 'key', key, KV_WIRE.key) }));
  },
  list(namespace, options = {}) {
    return kvCall('list', () => {
      const { prefix = '', limit = KV_LIST_DEFAULT } = options ?? {};
      if (!Number.isSafeInteger(limit) || limit < 1) throw new TypeError('context.kv.list: limit must be a positive whole number');
      return { namespace: kvNamespace('list', namespace), prefix: kvString('list', 'prefix', prefix, KV_WIRE.key), limit };
    });
  },
});

function installConsole() {
  const levels = { log: 'info', info: 'info', debug: 'debug', trace: 'debug', warn: 'warn', error: 'error' };
  for (const [method, level] of Object.entries(levels)) {
    console[method] = (...args) => logLine(level, format(...args));
  }
  // Raw writes mark the invocation as one whose output may still be in a pipe (see finish()).
  stdout.write = function writeStdoutNoted(...args) {
    if (current) current.wroteOutput = true;
    return writeStdout.apply(this, args);
  };
  stderr.write = function writeStderrNoted(...args) {
    if (current) current.wroteOutput = true;
    return writeStderr.apply(this, args);
  };
}

// ---- 6. the handler ---------------------------------------------------------------------------------
async function loadHandler() {
  const ns = await import(pathToFileURL(init.bundle).href);
  const name = init.exportName;
  if (name === 'default' && ns.default && typeof ns.default.fetch === 'function') {
    const target = ns.default;
    return { kind: 'fetch', fn: (req, env, ctx) => target.fetch(req, env, ctx) };
  }
  // esbuild turns a CommonJS `exports.handler` into the ESM default export object.
  const fn = typeof ns[name] === 'function' ? ns[name]
    : ns.default && typeof ns.default[name] === 'function' ? ns.default[name].bind(ns.default)
      : name === 'default' && typeof ns.default === 'function' ? ns.default : undefined;
  if (!fn) throw new Error(`the bundle has no function export "${name}"`);
  return { kind: 'lambda', fn };
}

// The Request URL has a fixed origin: the Host header is the caller's to choose, and `Host: x/admin?`
// spliced into a URL string would rewrite the path the function sees. The header itself stays as sent.
function requestUrl(path, query) {
  const url = new URL(`https://${init.functionName}.bulwark.internal`);
  url.pathname = typeof path === 'string' ? path : '/';
  url.search = query;
  return url.href;
}

function toRequest(event, payloadFormat) {
  const h = new Headers();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (typeof v === 'string') h.set(k, v);
  let url;
  let method;
  if (payloadFormat === '1.0') {
    for (const [k, vs] of Object.entries(event.multiValueHeaders ?? {})) {
      if (Array.isArray(vs)) { h.delete(k); for (const v of vs) h.append(k, String(v)); }
    }
    const qs = new URLSearchParams();
    const multi = event.multiValueQueryStringParameters;
    if (multi) for (const [k, vs] of Object.entries(multi)) for (const v of vs ?? []) qs.append(k, v);
    else for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) qs.append(k, v);
    const q = qs.toString();
    url = requestUrl(event.path, q);
    method = event.httpMethod ?? 'GET';
  } else {
    if (Array.isArray(event.cookies) && event.cookies.length > 0) h.set('cookie', event.cookies.join('; '));
    const q = event.rawQueryString ?? '';
    url = requestUrl(event.rawPath, typeof q === 'string' ? q : '');
    method = event.requestContext?.http?.method ?? 'GET';
  }
  const hasBody = typeof event.body === 'string' && method !== 'GET' && method !== 'HEAD';
  const body = hasBody ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64') : event.body) : undefined;
  return new Request(url, { method, headers: h, body });
}

const TEXTUAL = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

async function fromResponse(res) {
  if (!(res instanceof Response)) throw Object.assign(new Error('fetch() must return a Response'), { badResponse: true });
  const headers = {};
  for (const [k, v] of res.headers) if (k !== 'set-cookie') headers[k] = v;
  const bytes = Buffer.from(await res.arrayBuffer());
  const textual = TEXTUAL.test(res.headers.get('content-type') ?? 'text/plain');
  return {
    statusCode: res.status, headers, cookies: res.headers.getSetCookie(),
    body: textual ? bytes.toString('utf8') : bytes.toString('base64'), isBase64Encoded: !textual,
  };
}

function makeContext(inv) {
  const log = {};
  for (const level of ['debug', 'info', 'warn', 'error']) {
    log[level] = (message, fields) => logLine(level, typeof message === 'string' ? message : format(message), fields);
  }
  const context = {
    requestId: inv.requestId,
    awsRequestId: inv.requestId,
    functionName: init.functionName,
    functionVersion: String(init.functionVersion),
    get tmpdir() { return tmpdirOf(inv); },
    getRemainingTimeInMillis: () => Math.max(0, inv.deadline - Date.now()),
    log,
    callbackWaitsForEmptyEventLoop: false,
  };
  if (init.capabilities.includes('fetch')) context.fetch = brokerFetch;
  if (init.capabilities.includes('secrets')) context.secrets = secretsApi;
  if (init.capabilities.includes('kv')) context.kv = kvApi;
  if (init.capabilities.includes('invoke')) context.invoke = invokeFunction;
  // Set by the gateway from the verified call token, only when another function called this one.
  if (inv.caller) context.caller = Object.freeze({ function: inv.caller.function, version: inv.caller.version, requestId: inv.caller.requestId });
  return context;
}

/**
 * The invocation's tmpdir, made the first time the function asks for its path (context.tmpdir,
 * process.env.TMPDIR, os.tmpdir()) while the invocation runs: most functions never do, and a mkdir and
 * rmdir per invocation cost ~12 µs on tmpfs and ~170 µs on a disk scratch. The gateway empties the whole
 * scratch root after every invocation whatever happens here; removing an empty tmpdir on this side only
 * spares it the file-system calls.
 */
function tmpdirOf(inv) {
  if (!inv.tmpdirMade && current === inv) {
    inv.tmpdirMade = true;
    try { makeDir(inv.tmpdir, { mode: 0o700 }); } catch { /* the handler will see the failure itself */ }
  }
  return inv.tmpdir;
}

async function invoke(handler, msg) {
  current = { id: msg.id, requestId: msg.requestId, deadline: Date.now() + msg.timeoutMs, tmpdir: msg.tmpdir, tmpdirMade: false, wroteOutput: false, caller: msg.caller };
  deniedSent = 0;
  const inv = current;
  Reflect.defineProperty(envValues, 'TMPDIR', { get: () => tmpdirOf(inv), enumerable: true, configurable: true });
  try {
    let value;
    if (handler.kind === 'fetch') {
      value = await fromResponse(await handler.fn(toRequest(msg.event, init.payloadFormat), {}, makeContext(inv)));
    } else {
      value = await handler.fn(msg.event, makeContext(inv));
    }
    let json;
    try { json = value === undefined ? undefined : stringify(value); } catch { json = undefined; }
    if (value !== undefined && json === undefined) {
      throw Object.assign(new Error('the handler result is not JSON-serialisable'), { badResponse: true });
    }
    finish(inv, { t: 'result', id: inv.id }, json);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(typeof err === 'string' ? err : 'non-Error value thrown');
    finish(inv, {
      t: 'error', id: inv.id, kind: e.badResponse ? 'bad-response' : 'function',
      error: { name: clip(String(e.name), 200), message: clip(String(e.message)), stack: clip(String(e.stack ?? '')), code: typeof e.code === 'string' ? clip(e.code, 100) : undefined },
    });
  }
}

/** `valueJson`: a result's value, already encoded. */
function finish(inv, msg, valueJson) {
  if (current !== inv) return;
  current = undefined;
  Reflect.deleteProperty(envValues, 'TMPDIR');
  if (inv.tmpdirMade) try { removeEmptyDir(inv.tmpdir); } catch { /* not empty: the gateway removes it */ }
  for (const p of pendingCalls.values()) p.reject(new Error('the invocation has ended'));
  pendingCalls.clear();
  // Pipe writes are synchronous on Linux: all the invocation wrote is in the pipes ahead of the marks,
  // and the marks ahead of the result, so the gateway charges that output to this invocation.
  // Nothing written to stdout/stderr: no marks, and `quiet` tells the gateway not to wait for them.
  if (inv.wroteOutput) {
    const mark = `${OUTPUT_END_MARK}${inv.id}\n`;
    try { writeStdout.call(stdout, mark); } catch { /* the gateway stops waiting after a grace period */ }
    try { writeStderr.call(stderr, mark); } catch { /* likewise */ }
  }
  const json = stringify({ ...msg, quiet: !inv.wroteOutput });
  sendText(valueJson === undefined ? json : withJson(json, 'value', valueJson));
}

// ---- 7. the message loop ----------------------------------------------------------------------------
let handler;
let buffered = '';
channel.setEncoding('utf8');
channel.on('data', (chunk) => {
  buffered += chunk;
  let nl;
  while ((nl = buffered.indexOf('\n')) >= 0) {
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    onMessage(parse(line));
  }
});
// The gateway closing the channel means this worker is done.
channel.on('end', () => process.exit(0));
channel.on('error', () => process.exit(0));

function onMessage(msg) {
  if (msg.t === 'init') {
    init = msg;
    closeBuiltins(init.allowCodeGeneration);
    installConsole();
    globalThis.fetch = brokerFetch;
    // From here the gateway's load timeout runs (a top-level await may never settle).
    loading = true;
    send({ t: 'loading' });
    loadHandler().then((h) => { loading = false; handler = h; send({ t: 'ready' }); }, (err) => {
      loading = false;
      send({ t: 'load-error', message: clip(String(err && err.stack ? err.stack : err)) });
    });
  } else if (msg.t === 'invoke') {
    void invoke(handler, msg);
  } else if (msg.t === 'cap-result') {
    const p = pendingCalls.get(msg.call);
    if (!p) return;
    pendingCalls.delete(msg.call);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code }));
  }
}
