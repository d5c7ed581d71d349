/**
 * Where a tenant-set URL (a platform's base URL, a call-and-wait target) may point. The
 * worker calls these URLs with the tenant's credentials, so a URL of an attacker's choice
 * must not reach the provider's own network: cloud metadata services and link-local
 * addresses are always refused; plain http, loopback and private addresses only with the
 * development switch (ALLOW_INSECURE_PLATFORM_URLS). Pure: checks the URL as written (the
 * API at once, the worker again before each call).
 */
export function outboundUrlProblem(value: string, allowInsecure: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (url.protocol !== 'https:' && !(allowInsecure && url.protocol === 'http:')) return 'must be https';
  // A fully qualified name (`metadata.`, `localhost.`) is the same host: its trailing dots do not hide it.
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/\.+$/, '');
  if (METADATA_HOSTS.has(host) || isLinkLocal(host)) return 'must not point at a link-local or cloud metadata address';
  if (
    !allowInsecure &&
    (isLoopbackOrPrivate(host) || host === 'localhost' || INTERNAL_SUFFIXES.some((suffix) => host.endsWith(suffix)))
  ) {
    return 'must not point at a loopback, private or internal address';
  }
  return undefined;
}

/** Names that only resolve inside a provider's own network (cluster DNS, mDNS, cloud-internal zones). */
const INTERNAL_SUFFIXES = ['.localhost', '.internal', '.local', '.svc', '.cluster.local', '.home.arpa'];

const METADATA_HOSTS = new Set([
  '169.254.169.254',
  'fd00:ec2::254',
  'metadata.google.internal',
  'metadata',
  '100.100.100.200',
  'metadata.azure.com',
]);

function ipv4(host: string): number[] | undefined {
  const parts = host.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p))) return undefined;
  const octets = parts.map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

/** An IPv4 address inside an IPv6 one (::ffff:a.b.c.d, or its hex form ::ffff:xxxx:xxxx). */
function embeddedIpv4(host: string): number[] | undefined {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  if (dotted) return ipv4(dotted[1]!);
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!hex) return undefined;
  const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255];
}

function isLinkLocal(host: string): boolean {
  const v4 = ipv4(host) ?? embeddedIpv4(host);
  if (v4) return v4[0] === 169 && v4[1] === 254;
  return /^fe[89ab][0-9a-f]?:/.test(host);
}

function isLoopbackOrPrivate(host: string): boolean {
  const v4 = ipv4(host) ?? embeddedIpv4(host);
  if (v4) {
    const [a, b] = v4 as [number, number];
    return (
      a === 127 ||
      a === 10 ||
      a === 0 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  return host === '::1' || host === '::' || /^f[cd][0-9a-f]{2}:/.test(host);
}
