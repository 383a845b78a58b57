/**
 * Which IP addresses a webhook may not reach (issue 12, item 7): a webhook URL is chosen by any
 * user, and the server that posts to it sits inside the lab's network, beside its database, its
 * cloud's metadata service (169.254.169.254) and its admin consoles. Pure: the address is given,
 * resolving it is the caller's (notices/guardedLookup.ts).
 */

/** An IPv4 range as its first address (a 32-bit number) and prefix length, with why it is refused. */
type Range4 = [first: number, bits: number, why: string];

const refused4: Range4[] = [
  [ipv4(0, 0, 0, 0), 8, 'an unspecified ("this network") address'],
  [ipv4(10, 0, 0, 0), 8, 'a private address'],
  [ipv4(100, 64, 0, 0), 10, 'a shared (carrier-grade NAT) address'],
  [ipv4(127, 0, 0, 0), 8, 'a loopback address'],
  [ipv4(169, 254, 0, 0), 16, 'a link-local address'],
  [ipv4(172, 16, 0, 0), 12, 'a private address'],
  [ipv4(192, 168, 0, 0), 16, 'a private address'],
  [ipv4(224, 0, 0, 0), 4, 'a multicast address'],
  // 240/4 is reserved, 255.255.255.255 among it: the broadcast address.
  [ipv4(240, 0, 0, 0), 4, 'a reserved or broadcast address'],
];

function ipv4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function parse4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  const [a, b, c, d] = parts.map(Number) as [number, number, number, number];
  return ipv4(a, b, c, d);
}

/** The eight 16-bit groups of an IPv6 address (`::` and a trailing dotted IPv4 allowed), or null. */
function parse6(text: string): number[] | null {
  let rest = text.toLowerCase();
  const zone = rest.indexOf('%');
  if (zone >= 0) rest = rest.slice(0, zone);
  // A trailing dotted IPv4 address (::ffff:127.0.0.1) is the last two groups, written otherwise.
  const dotted = /(?:^|:)(\d+\.\d+\.\d+\.\d+)$/.exec(rest);
  if (dotted) {
    const v4 = parse4(dotted[1]!);
    if (v4 === null) return null;
    rest = `${rest.slice(0, rest.length - dotted[1]!.length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = rest.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]!);
  const back = halves.length === 2 ? groups(halves[1]!) : [];
  if (![...head, ...back].every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  const given = head.length + back.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return null;
  const zeros = new Array<number>(8 - given).fill(0);
  return [...head.map((g) => parseInt(g, 16)), ...zeros, ...back.map((g) => parseInt(g, 16))];
}

function why4(address: number): string | null {
  for (const [first, bits, why] of refused4) {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if ((address & mask) >>> 0 === first) return why;
  }
  return null;
}

function why6(g: number[]): string | null {
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, h = 0, i = 0] = g;
  const upperZero = a === 0 && b === 0 && c === 0 && d === 0 && e === 0;
  if (upperZero && f === 0 && h === 0 && i === 0) return 'an unspecified address';
  if (upperZero && f === 0 && h === 0 && i === 1) return 'a loopback address';
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d)
  // addresses reach the IPv4 address they carry: judged as it is.
  const embedded = (upperZero && (f === 0xffff || f === 0)) || (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0);
  if (embedded) return why4(((h << 16) | i) >>> 0);
  // 6to4 (2002:a.b.c.d::/48) carries an IPv4 address in its second and third groups.
  if (a === 0x2002) return why4(((b << 16) | c) >>> 0);
  if ((a & 0xfe00) === 0xfc00) return 'a private (unique local) address';
  if ((a & 0xffc0) === 0xfe80) return 'a link-local address';
  if ((a & 0xffc0) === 0xfec0) return 'a site-local address';
  if ((a & 0xff00) === 0xff00) return 'a multicast address';
  return null;
}

/**
 * Why `address` (an IPv4 or IPv6 literal, without brackets) may not be a webhook's, or null when it
 * may; anything that does not parse as an address is refused, as nothing can be said for it.
 */
export function refusedAddress(address: string): string | null {
  const v4 = parse4(address);
  if (v4 !== null) return why4(v4);
  const v6 = parse6(address);
  return v6 ? why6(v6) : 'not an IP address';
}

/** The address a URL's hostname is, when it is a literal one (`[::1]` without its brackets), else null. */
export function literalAddress(hostname: string): string | null {
  if (hostname.startsWith('[') && hostname.endsWith(']')) return hostname.slice(1, -1);
  return parse4(hostname) === null ? null : hostname;
}
