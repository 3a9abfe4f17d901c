// Server-side request forgery: a URL that makes the function (or a library it hands the value to) call
// something only the server can reach: loopback, private and link-local networks, the cloud metadata
// service (169.254.169.254, fd00:ec2::254, 100.100.100.200, metadata.google.internal), in any spelling
// a URL parser accepts: 2130706433, 0x7f.1, 0177.0.0.1, 127.1, [::ffff:127.0.0.1], ①②⑦.⓪.⓪.①. Hosts are
// read with the WHATWG URL parser, the one Node's fetch uses, so what is judged is what would be
// dialled. Every `@`-separated piece of the authority is judged too, because parsers disagree about
// `http://evil.example@127.0.0.1` and `http://127.0.0.1\@evil.example`. Schemes that are not HTTP and
// reach files or other protocols (file:, gopher:, dict:, ldap:, jar:, phar:, …) count wherever they
// appear. Names that resolve elsewhere at request time (DNS rebinding) cannot be judged here: that is
// the egress broker's job (docs/sandbox.md).

import ipaddr from 'ipaddr.js';
import { F, type Detector } from './types.ts';

/** Schemes that fetch a file or speak another protocol through a URL-taking library. */
const OTHER_SCHEMES = /(?:^|[^a-z0-9+.-])(?:file:\s*[\\/]|(?:gopher|dict|ldaps?|tftp|netdoc|phar|expect|smb|sftp|php|glob|ssh2(?:\.[a-z]+)?|jar|rtsp|telnet):\/\/|jar:(?:file|https?|ftp):)/;
/** An http(s)/ws/ftp URL; the rest runs to the first character a URL cannot hold. */
const WEB_SCHEME = /(?:https?|wss?|ftp):/;
const WEB_URL = /(?:^|[^a-z0-9+.-])(https?|wss?|ftp):([^\s"'<>`]*)/g;
/** A scheme-relative URL: //host/… */
const SCHEMELESS = /(?:^|[\s"'=(,])\/\/([^\s"'<>`/?#]+)/g;
/** A value that is only a host: 10.0.0.5, 10.0.0.5:8080/x, [::1], localhost, db.internal. */
const BARE_HOST = /^\s*(\[[0-9a-f:.]+\]|\d{1,3}(?:\.\d{1,3}){3}|localhost|[a-z0-9.-]+\.(?:internal|local|localhost))(?::\d{1,5})?(?:[/?#]\S*)?\s*$/;
/** Where an authority ends for a strict parser, and what a confused one splits it on. */
const AUTHORITY_END = /[/?#]/;
const AUTHORITY_SPLIT = /[@\\]/;
const LEADING_SLASHES = /^[\\/]+/;
/** An authority that is a DNS name and a port, nothing a parser could read two ways: judged by name. */
const PLAIN_AUTHORITY = /^([a-z0-9-]+(?:\.[a-z0-9-]+)*)(?::\d{1,5})?$/;
/** A last label that is a number makes the whole name an IPv4 address to the WHATWG parser (127.1, 0x7f.1). */
const NUMERIC_LABEL = /(?:^|\.)(?:0x[0-9a-f]*|\d+)$/;
/** What the WHATWG parser leaves of an IP address: dotted decimal IPv4, or IPv6 in brackets. */
const IP_LITERAL = /^(?:[\d.]+|\[[0-9a-f:.]+\])$/;
const BRACKETS = /^\[|\]$/g;
const TRAILING_DOT = /\.$/;
/** An IPv6 literal with a zone id (`[fe80::1%eth0]`), which WHATWG refuses and other parsers accept. */
const ZONED_V6 = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?\[([0-9a-f:.]+)%[^\]]*\]/;
/** Public wildcard-DNS names that resolve to an address written inside them (10.0.0.1.nip.io, or in hex: 0a000001.nip.io). */
const EMBEDDED_IP = /(?:^|[.-])(\d{1,3}[.-]\d{1,3}[.-]\d{1,3}[.-]\d{1,3}|[0-9a-f]{8})\.(?:nip\.io|sslip\.io|xip\.io|traefik\.me)$/;
const HEX_IPV4 = /^[0-9a-f]{8}$/;
/** Names that mean this machine or an internal network whatever DNS says. */
const INTERNAL_NAME = /(?:^|\.)(?:localhost|localhost\.localdomain|ip6-localhost|ip6-loopback|internal|local|home\.arpa|cluster\.local|svc|localtest\.me|lvh\.me|vcap\.me)$|^(?:metadata|instance-data|kubernetes(?:\.default)?)$/;
const DASHES = /-/g;
/**
 * Tab, LF and CR, which the WHATWG parser deletes wherever they stand in a URL: `http://\t169.254.169.254/`
 * and `ht\ttp://a\n@127.0.0.1/` are fetched as the metadata and loopback addresses.
 */
const URL_IGNORED = /[\t\n\r]/g;

const patterns = [
  OTHER_SCHEMES, WEB_SCHEME, WEB_URL, SCHEMELESS, BARE_HOST, AUTHORITY_END, AUTHORITY_SPLIT, LEADING_SLASHES, PLAIN_AUTHORITY, NUMERIC_LABEL,
  IP_LITERAL, BRACKETS, TRAILING_DOT, ZONED_V6, EMBEDDED_IP, HEX_IPV4, INTERNAL_NAME, DASHES, URL_IGNORED,
];

function internalIp(address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  if (address.kind() === 'ipv4') return address.range() !== 'unicast';
  const v6 = address as ipaddr.IPv6;
  const range = v6.range();
  if (range === 'ipv4Mapped' || range === 'rfc6052' || range === 'rfc6145' || range === '6to4') {
    const bytes = v6.toByteArray();
    const at = range === '6to4' ? 2 : 12;
    return internalIp(new ipaddr.IPv4(bytes.slice(at, at + 4)));
  }
  return range !== 'unicast';
}

/** True when `hostname` (as the WHATWG parser left it) is internal. */
function internalHost(hostname: string): boolean {
  if (IP_LITERAL.test(hostname)) {
    const ip = hostname.replace(BRACKETS, '');
    return ipaddr.isValid(ip) && internalIp(ipaddr.parse(ip));
  }
  const host = hostname.replace(TRAILING_DOT, '');
  if (INTERNAL_NAME.test(host)) return true;
  const embedded = EMBEDDED_IP.exec(host)?.[1];
  if (embedded === undefined) return false;
  return internalHost(HEX_IPV4.test(embedded) ? ipaddr.fromByteArray([...Buffer.from(embedded, 'hex')]).toString() : embedded.replace(DASHES, '.'));
}

/** Parses `url` as Node's fetch would and judges the host; text that is no URL is not a request. */
function internalUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    const zoned = ZONED_V6.exec(url);
    return zoned !== null && ipaddr.isValid(zoned[1]!) && internalIp(ipaddr.parse(zoned[1]!));
  }
  return internalHost(parsed.hostname);
}

/** The web URL `scheme:rest`, judged by name when its authority is plainly one, else through the parser. */
function internalWebUrl(scheme: string, rest: string): boolean {
  const authority = rest.replace(LEADING_SLASHES, '').split(AUTHORITY_END, 1)[0]!;
  const plain = PLAIN_AUTHORITY.exec(authority);
  if (plain && rest.startsWith('//') && !NUMERIC_LABEL.test(plain[1]!)) return internalHost(plain[1]!);
  return internalUrl(`${scheme}:${rest}`) || internalAuthority(authority);
}

/**
 * `evil.example@127.0.0.1` or `evil.example\\@127.0.0.1`: WHATWG reads the first as 127.0.0.1 and the
 * second as evil.example, other parsers the other way round, so every piece is judged.
 */
function internalAuthority(authority: string): boolean {
  for (const piece of authority.split(AUTHORITY_SPLIT)) {
    if (piece !== '' && piece !== authority && internalUrl(`http://${piece}`)) return true;
  }
  return false;
}

/** Whether `lower` holds an internal URL, a non-HTTP scheme, or is an internal host by itself. */
function internalText(lower: string, features: number): boolean {
  if ((features & F.COLON) !== 0) {
    if (OTHER_SCHEMES.test(lower)) return true;
    if (WEB_SCHEME.test(lower)) {
      for (const m of lower.matchAll(WEB_URL)) {
        const [, scheme, rest] = m as unknown as [string, string, string];
        if (internalWebUrl(scheme, rest)) return true;
      }
    }
  }
  if ((features & F.SLASH) !== 0 && lower.includes('//')) {
    for (const m of lower.matchAll(SCHEMELESS)) if (internalUrl(`http://${m[1]}`)) return true;
  }
  if ((features & (F.DIGIT_START | F.BRACKET)) === 0 && !lower.includes('local') && !lower.includes('internal')) return false;
  const bare = BARE_HOST.exec(lower);
  return bare !== null && internalUrl(`http://${bare[1]}`);
}

export const ssrf: Detector = {
  id: 'ssrf',
  patterns,
  value({ lower, features }) {
    if (internalText(lower, features)) return true;
    // Judged again as the parser reads it; deleting tabs and newlines adds no character, so `features` hold.
    const joined = lower.replace(URL_IGNORED, '');
    return joined !== lower && internalText(joined, features);
  },
};
