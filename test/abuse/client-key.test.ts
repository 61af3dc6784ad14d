import { clientKeyForIp } from '../../src/abuse/client-key';

describe('the per-IP rate-limit key', () => {
  it('is the address itself for IPv4', () => {
    expect(clientKeyForIp('203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts an IPv4-mapped IPv6 address (a dual-stack socket) as the IPv4 address', () => {
    expect(clientKeyForIp('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKeyForIp('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(clientKeyForIp('0:0:0:0:0:ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('is the /64 for IPv6: every address of one /64 shares it', () => {
    const key = clientKeyForIp('2001:db8:1:2::1');
    expect(key).toBe('2001:db8:1:2::/64');
    expect(clientKeyForIp('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(key);
    expect(clientKeyForIp('2001:0DB8:0001:0002:0:0:0:42')).toBe(key);
    expect(clientKeyForIp('2001:db8:1:2::1%eth0')).toBe(key);
  });

  it('tells neighbouring /64s apart', () => {
    expect(clientKeyForIp('2001:db8:1:3::1')).not.toBe(clientKeyForIp('2001:db8:1:2::1'));
  });

  it('handles the short forms: ::1 and ::', () => {
    expect(clientKeyForIp('::1')).toBe('0:0:0:0::/64');
    expect(clientKeyForIp('::')).toBe('0:0:0:0::/64');
    expect(clientKeyForIp('fe80::1')).toBe('fe80:0:0:0::/64');
  });

  it('gives one shared key to anything that is not an address', () => {
    expect(clientKeyForIp(null)).toBe('unknown');
    expect(clientKeyForIp(undefined)).toBe('unknown');
    expect(clientKeyForIp('not an ip')).toBe('unknown');
  });
});
