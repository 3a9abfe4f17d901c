// What the gateway accepts as a request target and a Host, checked on every request before routing.
//
// Route confusion: the route table matches raw segments, but whatever later resolves the path (the
// WHATWG URL parser behind a web-fetch handler's Request, a framework router inside the function, a
// proxy in front of the gateway) folds `.`/`..` segments, `%2e%2e` included, and may treat `%2f` or `\`
// as a separator. `/fn/app/public/../admin/users` would then be authorised as a public route while the
// function acts on /admin/users. No legitimate client needs any of these, so they are refused outright
// rather than normalised: one reading of the path, the one the route table and the function share.
// The same holds for an empty segment (`/fn/app//admin`: most routers merge the slashes) and for `;`,
// raw or `%3b` (matrix parameters: `/admin;x` is /admin to Tomcat-style and some proxy routers). Letter
// case and a trailing slash depend on the trigger table, so routes.ts handles those.
//
// Host: it becomes requestContext.domainName and the event's host header, and function code builds
// absolute URLs (redirects, links, cookies) from it, so only hostname[:port] syntax is let through.

/** A `.` or `..` segment, raw or with any mix of `%2e`/`%2E` for the dots. */
const DOT_SEGMENT = /(^|\/)(\.|%2e){1,2}(\/|$)/i;
/** Encoded `/` and `\`, a raw `\`, and NUL in either form. */
const FORBIDDEN = /%2f|%5c|\\|%00|\u0000/i;
/** `;` in either form. */
const SEMICOLON = /;|%3b/i;

/** Why the path part of `url` is refused, or undefined when it is acceptable. */
export function requestTargetProblem(url: string): string | undefined {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (DOT_SEGMENT.test(path)) return 'the path has a . or .. segment';
  if (FORBIDDEN.test(path)) return 'the path has an encoded slash, a backslash or a NUL';
  if (path.includes('//')) return 'the path has an empty segment (//)';
  if (SEMICOLON.test(path)) return 'the path has a ;';
  return undefined;
}

const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const HOST = new RegExp(
  `^(?:${LABEL}(?:\\.${LABEL})*|\\[[0-9A-Fa-f:.]{2,45}\\])(?::[0-9]{1,5})?$`,
);

/** The local address a connection arrived on, as a domain name: for HTTP/1.0 requests without Host. */
export function arrivalHost(localAddress: string | undefined): string {
  const address = (localAddress ?? '').replace(/^::ffff:(?=\d+\.)/, '');
  if (address === '') return 'localhost';
  return address.includes(':') ? `[${address}]` : address;
}

/** True for `hostname`, `hostname:port`, `1.2.3.4:port` and `[v6]:port`; at most 255 characters. */
export function isValidHost(value: string): boolean {
  return value.length <= 255 && HOST.test(value);
}
