import { describe, expect, it } from 'vitest';
import { checkAddress, checkTargetUrl } from '../../../lambdas/core/target';

const STRICT = { allowPrivate: false };
const LOCAL = { allowPrivate: true };

describe('checkAddress: rejected addresses', () => {
  it.each([
    // IPv4
    ['127.0.0.1', 'loopback address'],
    ['127.255.255.254', 'loopback address'],
    ['10.0.0.1', 'private address'],
    ['10.255.255.255', 'private address'],
    ['172.16.0.1', 'private address'],
    ['172.31.255.255', 'private address'],
    ['192.168.1.1', 'private address'],
    ['169.254.169.254', 'link-local address (includes the cloud metadata service)'],
    ['169.254.0.1', 'link-local address (includes the cloud metadata service)'],
    ['100.64.0.1', 'shared address space (carrier-grade NAT)'],
    ['100.127.255.255', 'shared address space (carrier-grade NAT)'],
    ['0.0.0.0', 'unspecified address'],
    ['0.1.2.3', 'unspecified address'],
    ['224.0.0.1', 'multicast address'],
    ['239.255.255.250', 'multicast address'],
    ['240.0.0.1', 'reserved address'],
    ['255.255.255.254', 'reserved address'],
    ['255.255.255.255', 'broadcast address'],
    ['192.0.0.8', 'reserved address'],
    ['192.88.99.1', 'reserved address'],
    ['198.18.0.1', 'benchmarking address'],
    ['198.19.255.255', 'benchmarking address'],
    ['192.0.2.1', 'documentation address'],
    ['198.51.100.7', 'documentation address'],
    ['203.0.113.9', 'documentation address'],
    // IPv6
    ['::', 'unspecified address'],
    ['::1', 'loopback address'],
    ['0:0:0:0:0:0:0:1', 'loopback address'],
    ['[::1]', 'loopback address'],
    ['::ffff:127.0.0.1', 'IPv4-mapped address of an IPv4 loopback address'],
    ['::ffff:7f00:1', 'IPv4-mapped address of an IPv4 loopback address'],
    ['::FFFF:A9FE:A9FE', 'IPv4-mapped address of an IPv4 link-local address (includes the cloud metadata service)'],
    ['::ffff:10.1.2.3', 'IPv4-mapped address of an IPv4 private address'],
    ['::ffff:0.0.0.0', 'IPv4-mapped address of an IPv4 unspecified address'],
    ['::127.0.0.1', 'IPv4-compatible address (deprecated)'],
    ['::8.8.8.8', 'IPv4-compatible address (deprecated)'],
    ['64:ff9b::127.0.0.1', 'NAT64 address of an IPv4 loopback address'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 address of an IPv4 link-local address (includes the cloud metadata service)'],
    ['64:ff9b::192.168.0.1', 'NAT64 address of an IPv4 private address'],
    ['64:ff9b:1::1', 'private address'],
    ['fc00::1', 'private address (unique local)'],
    ['fd00::1', 'private address (unique local)'],
    ['[fd00::1]', 'private address (unique local)'],
    ['fd00:ec2::254', 'private address (unique local)'],
    ['fe80::1', 'link-local address'],
    ['fe80::1%eth0', 'link-local address'],
    ['febf:ffff::1', 'link-local address'],
    ['fec0::1', 'private address (site-local)'],
    ['ff02::1', 'multicast address'],
    ['ff05::1:3', 'multicast address'],
    ['2001:db8::1', 'documentation address'],
    ['3fff::1', 'documentation address'],
    ['2001::1', 'reserved address'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved address'],
    ['2002:7f00:1::1', '6to4 address of an IPv4 loopback address'],
    ['2002:c0a8:101::1', '6to4 address of an IPv4 private address'],
    ['100::1', 'reserved address (not global unicast)'],
    ['4000::1', 'reserved address (not global unicast)'],
    ['::ffff:0:7f00:1', 'reserved address (not global unicast)'],
  ])('%s → %s', (ip, reason) => {
    expect(checkAddress(ip, STRICT)).toBe(reason);
  });
});

describe('checkAddress: allowed addresses', () => {
  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '9.255.255.255',
    '11.0.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '126.255.255.255',
    '128.0.0.1',
    '169.253.255.255',
    '169.255.0.1',
    '172.15.255.255',
    '172.32.0.0',
    '192.167.255.255',
    '192.169.0.0',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '2a00:1450:4001:82b::200e',
    '[2606:4700:4700::1111]',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
  ])('%s', (ip) => {
    expect(checkAddress(ip, STRICT)).toBeUndefined();
  });

  it.each(['127.0.0.1', '10.0.0.1', '169.254.169.254', '::1', 'fd00::1', '::ffff:127.0.0.1', '0.0.0.0'])(
    '%s when private targets are allowed',
    (ip) => {
      expect(checkAddress(ip, LOCAL)).toBeUndefined();
    },
  );
});

describe('checkAddress: not an IP address (always rejected)', () => {
  it.each([
    '',
    'localhost',
    'example.com',
    '256.0.0.1',
    '1.2.3',
    '1.2.3.4.5',
    '010.0.0.1',
    '127.000.000.001',
    '0x7f.0.0.1',
    '2130706433',
    ':::1',
    '1::2::3',
    '12345::1',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8::',
    '::ffff:127.0.0.256',
    '::ffff:1.2.3.4:5',
    'g::1',
    '[::1',
  ])('%o', (ip) => {
    expect(checkAddress(ip, STRICT)).toBe('not an IP address');
    expect(checkAddress(ip, LOCAL)).toBe('not an IP address');
  });
});

describe('checkTargetUrl', () => {
  it.each([
    ['https://hooks.example.com/herald', STRICT],
    ['https://hooks.example.com:8443/a?b=c#d', STRICT],
    ['https://8.8.8.8/hook', STRICT],
    ['https://[2606:4700:4700::1111]/hook', STRICT],
    ['HTTPS://Example.COM/x', STRICT],
    ['http://localhost:4000/hook', LOCAL],
    ['http://127.0.0.1:4000/hook', LOCAL],
    ['http://[::1]:4000/hook', LOCAL],
    ['https://10.0.0.5/hook', LOCAL],
  ] as const)('accepts %s (%o)', (url, rules) => {
    const result = checkTargetUrl(url, rules);
    expect(result.ok).toBe(true);
    expect(result.ok && result.value.href).toBe(new URL(url).href);
  });

  it.each([
    ['not a url', STRICT, 'URL is not a valid absolute URL'],
    ['/relative/path', STRICT, 'URL is not a valid absolute URL'],
    ['', STRICT, 'URL is not a valid absolute URL'],
    ['ftp://example.com/hook', STRICT, 'URL scheme must be https, got ftp'],
    ['ftp://example.com/hook', LOCAL, 'URL scheme must be https or http, got ftp'],
    ['file:///etc/passwd', STRICT, 'URL scheme must be https, got file'],
    ['gopher://example.com/', STRICT, 'URL scheme must be https, got gopher'],
    ['javascript:alert(1)', STRICT, 'URL scheme must be https, got javascript'],
    ['http://example.com/hook', STRICT, 'URL scheme must be https (http is allowed only when the deployment allows private targets)'],
    ['https://user:pass@example.com/hook', STRICT, 'URL must not contain credentials (user:password@); use endpoint headers for authentication'],
    ['https://user@example.com/hook', STRICT, 'URL must not contain credentials (user:password@); use endpoint headers for authentication'],
    ['http://user:pass@localhost/hook', LOCAL, 'URL must not contain credentials (user:password@); use endpoint headers for authentication'],
    ['https://169.254.169.254/latest/meta-data/', STRICT, 'URL host 169.254.169.254 is not allowed: link-local address (includes the cloud metadata service)'],
    ['https://127.0.0.1/hook', STRICT, 'URL host 127.0.0.1 is not allowed: loopback address'],
    ['https://0.0.0.0/hook', STRICT, 'URL host 0.0.0.0 is not allowed: unspecified address'],
    ['https://100.64.0.1/hook', STRICT, 'URL host 100.64.0.1 is not allowed: shared address space (carrier-grade NAT)'],
    ['https://192.168.0.10:8443/hook', STRICT, 'URL host 192.168.0.10 is not allowed: private address'],
    ['https://[::1]/hook', STRICT, 'URL host [::1] is not allowed: loopback address'],
    ['https://[::ffff:127.0.0.1]/hook', STRICT, 'URL host [::ffff:7f00:1] is not allowed: IPv4-mapped address of an IPv4 loopback address'],
    ['https://[::ffff:7f00:1]/hook', STRICT, 'URL host [::ffff:7f00:1] is not allowed: IPv4-mapped address of an IPv4 loopback address'],
    ['https://[fe80::1]/hook', STRICT, 'URL host [fe80::1] is not allowed: link-local address'],
    ['https://[fd00::1]/hook', STRICT, 'URL host [fd00::1] is not allowed: private address (unique local)'],
    ['https://[fd00:ec2::254]/latest/meta-data/', STRICT, 'URL host [fd00:ec2::254] is not allowed: private address (unique local)'],
    // Numeric spellings the URL parser normalises to 127.0.0.1 / 169.254.169.254.
    ['https://2130706433/hook', STRICT, 'URL host 127.0.0.1 is not allowed: loopback address'],
    ['https://0x7f.1/hook', STRICT, 'URL host 127.0.0.1 is not allowed: loopback address'],
    ['https://0177.0.0.1/hook', STRICT, 'URL host 127.0.0.1 is not allowed: loopback address'],
    ['https://127.1/hook', STRICT, 'URL host 127.0.0.1 is not allowed: loopback address'],
    ['https://0xa9fea9fe/hook', STRICT, 'URL host 169.254.169.254 is not allowed: link-local address (includes the cloud metadata service)'],
    ['https://127.0.0.1./hook', STRICT, 'URL host 127.0.0.1 is not allowed: loopback address'],
    ['https://localhost/hook', STRICT, 'URL host localhost is not allowed: loopback host name'],
    ['https://LOCALHOST./hook', STRICT, 'URL host localhost is not allowed: loopback host name'],
    ['https://api.localhost/hook', STRICT, 'URL host api.localhost is not allowed: loopback host name'],
  ] as const)('rejects %s (%o)', (url, rules, message) => {
    expect(checkTargetUrl(url, rules)).toEqual({ ok: false, error: message });
  });
});
