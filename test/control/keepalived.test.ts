// keepalived.conf loading: reading rules (core/parser.c) and LVS semantics (check_parser.c,
// check_data.c validate_check_config()). Each fixture in test/fixtures/control/keepalived/ says in
// its header comment which keepalived behaviour it pins down.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, run } from './helpers.js';
import { loadKeepalivedFile, loadKeepalivedText } from '../../src/control/keepalived/config.js';
import { applyKeepalived } from '../../src/control/keepalived/apply.js';
import { parseKeepalivedText } from '../../src/control/keepalived/parser.js';
import { ControlModel, NO_STATS } from '../../src/control/model.js';
import { StaticResolver } from '../../src/control/names.js';
import type { KeepalivedConfig } from '../../src/model/keepalived.js';

const KA = join(FIXTURES, 'keepalived');

function load(name: string, configId = 'lb1'): { cfg: KeepalivedConfig; saved: string; applyProblems: string[] } {
  const cfg = loadKeepalivedFile(join(KA, name), { configId });
  const m = new ControlModel({ names: new StaticResolver() });
  const applyProblems = applyKeepalived(m, cfg, NO_STATS);
  return { cfg, saved: run(m, '-S -n', NO_STATS).stdout, applyProblems };
}

function rel(problems: string[]): string[] {
  return problems.map((p) => p.replace(KA + '/', ''));
}

describe('keepalived.conf reading rules', () => {
  it('comments, glued braces, next-line and one-line blocks, continuation, quoted words', () => {
    const { cfg, saved } = load('syntax.conf');
    expect(saved).toBe('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 2\n-a -t 10.0.0.1:80 -r 10.0.0.3:80 -m -w 3\n');
    const rs = cfg.virtualServers[0]!.realServers[1]!;
    expect(rs.notifyUp).toBe('/usr/local/bin/up.sh #1 arg');
    expect(rs.checkers.map((c) => [c.keyword, c.children![0]!.keyword, c.children![0]!.args])).toEqual([['MISC_CHECK', 'misc_path', ['/bin/check --name=a!b']]]);
    expect(rel(cfg.problems)).toEqual(['syntax.conf:7: Virtual server 10.0.0.1:80: no forwarding method set, setting default NAT']);
  });

  it('include globs are sorted and relative to the including file; a pattern with no match is reported', () => {
    const { cfg, saved } = load('inc/main.conf');
    expect(saved).toBe(
      '-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n-A -u 10.0.0.1:53 -s wlc\n-a -u 10.0.0.1:53 -r 10.0.0.3:53 -m -w 1\n-A -f 9 -s wlc\n-a -f 9 -r 10.0.0.4:0 -m -w 1\n',
    );
    expect(cfg.virtualServers.map((v) => v.node.file.replace(KA + '/', ''))).toEqual(['inc/conf.d/10-web.conf', 'inc/conf.d/20-dns.conf', 'inc/sub/leaf.conf']);
    expect(rel(cfg.problems)[0]).toBe("inc/main.conf:4: include 'missing-*.conf': no file matches");
  });

  it('$NAME definitions and @id conditional lines', () => {
    expect(load('macros.conf', 'lb1').saved).toBe('-A -t 10.0.0.100:443 -s wrr\n-a -t 10.0.0.100:443 -r 10.0.0.5:443 -m -w 10\n');
    expect(load('macros.conf', 'lb2').saved).toBe('-A -t 10.0.0.100:443 -s lc\n-a -t 10.0.0.100:443 -r 10.0.0.5:443 -m -w 20\n');
    expect(load('macros.conf', 'other').saved).toBe('-A -t 10.0.0.100:443 -s lc\n-a -t 10.0.0.100:443 -r 10.0.0.5:443 -m -w 1\n');
  });

  it('unbalanced braces and undefined macros are reported with file:line', () => {
    const p = parseKeepalivedText('virtual_server 1.2.3.4 80 {\n  real_server $NOPE 80 {\n}\n}\n}\nvirtual_server 1.2.3.5 80 {\n', 'x.conf');
    expect(p.problems).toEqual(['x.conf:2: undefined definition $NOPE', "x.conf:5: Extra '}' found", "x.conf:6: missing '}' for the block opened here"]);
  });
});

describe('keepalived LVS semantics', () => {
  it('defaults and corrections of validate_check_config()', () => {
    const { cfg, saved, applyProblems } = load('defaults.conf');
    expect(saved).toBe(
      [
        '-A -t 10.0.0.1:0 -s wlc -p 360',
        '-a -t 10.0.0.1:0 -r 10.0.0.4:0 -g -w 5',
        '-A -t 10.0.0.2:80 -s wlc',
        '-a -t 10.0.0.2:80 -r 10.0.0.5:80 -g -w 1',
        '-a -t 10.0.0.2:80 -r 10.0.0.6:80 -g -w 1',
        '-A -u 10.0.0.1:80 -s wlc',
        '-a -u 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 1',
        '-a -u 10.0.0.1:80 -r 10.0.0.3:80 -m -w 1',
        '-A -f 3 -s wlc',
        '-a -f 3 -r 10.0.0.7:0 -i -w 1 --tun-type ipip',
        '',
      ].join('\n'),
    );
    const probs = rel(cfg.problems);
    expect(probs).toContain('defaults.conf:2: Virtual server 10.0.0.1:80: no protocol set - defaulting to UDP');
    expect(probs).toContain('defaults.conf:8: Virtual server 10.0.0.1:0: zero port only valid for persistent services - setting');
    expect(probs).toContain("defaults.conf:19: WARNING - virtual server 10.0.0.2:80 and real server 10.0.0.5:8080 ports don't match - resetting");
    expect(probs).toContain('defaults.conf:23: Warning: Virtual server FWM 3: protocol specified for fwmark - protocol will be ignored');
    expect(probs).toContain('defaults.conf:27: WARNING - fwmark virtual server FWM 3, real server 10.0.0.7:443 has port specified - clearing');
    expect(probs).toContain('defaults.conf:29: Virtual server 10.0.0.3:80 has no real servers - ignoring');
    // 10.0.0.6 with no port and with port 80 are distinct until the port is corrected: the kernel refuses the second
    expect(rel(applyProblems)).toEqual(['defaults.conf:21: Destination already exists']);
    const vs = cfg.virtualServers.find((v) => v.service.port === 80 && v.service.protocol === 'udp')!;
    expect(vs.delayLoopS).toBe(60);
    expect(vs.quorum).toBe(1);
  });

  it('virtual_server_group: address ranges, single addresses and fwmark entries', () => {
    const { cfg, saved } = load('group.conf');
    expect(cfg.virtualServers.map((v) => (v.service.fwmark ? `FWM ${v.service.fwmark}` : `${v.service.addr}:${v.service.port}`))).toEqual([
      '10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.1.1:8080', 'FWM 5',
    ]);
    expect(saved.split('\n').filter((l) => l.startsWith('-A'))).toEqual([
      '-A -t 10.0.0.1:80 -s sh -b sh-port', '-A -t 10.0.0.2:80 -s sh -b sh-port', '-A -t 10.0.0.3:80 -s sh -b sh-port',
      '-A -t 10.0.1.1:8080 -s sh -b sh-port', '-A -f 5 -s sh -b sh-port',
    ]);
    expect(rel(cfg.problems)).toEqual([
      'group.conf:8: virtual server group EMPTY has no entries - removing',
      "group.conf:15: virtual server [WEB]:0:[10.0.1.1:8080] and real server 10.0.2.1:80 ports don't match",
      'group.conf:15: WARNING - fwmark virtual server [WEB]:0, real server 10.0.2.1:80 has port specified - port will be ignored',
      'group.conf:17: Virtual server group NOSUCH not found - skipping virtual server',
    ]);
  });

  it('every virtual/real server keyword uvs acts on, checkers kept as nodes, vrrp/global_defs ignored', () => {
    const { cfg, saved } = load('features.conf');
    expect(saved).toBe(
      [
        '-A -t 10.0.0.100:80 -s wlc -p 600 -M 255.255.255.0 --pe sip',
        '-a -t 10.0.0.100:80 -r 10.0.0.11:80 -m -w 2',
        '-a -t 10.0.0.100:80 -r 10.0.0.12:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-remcsum',
        '-A -u 10.0.0.100:53 -s wlc -o',
        '-a -u 10.0.0.100:53 -r 10.0.0.21:53 -m -w 1',
        '',
      ].join('\n'),
    );
    const web = cfg.virtualServers[0]!;
    expect(web).toMatchObject({
      delayLoopS: 6, quorum: 3, hysteresis: 1, quorumUp: '/bin/quorum up', quorumDown: '/bin/quorum down',
      alpha: true, omega: true, inhibitOnFailure: true, virtualhost: 'www.example.org', sorryServerInhibit: true,
    });
    expect(web.sorryServer).toMatchObject({ addr: '10.0.0.250', port: 80, fwd: 'Route', weight: 1 });
    const rs = web.realServers[0]!;
    expect(rs.dest).toMatchObject({ weight: 2, uThreshold: 100, lThreshold: 10, fwd: 'Masq' });
    expect(rs).toMatchObject({ notifyUp: '/bin/up', notifyDown: '/bin/down now', inhibitOnFailure: false });
    expect(rs.checkers.map((c) => c.keyword)).toEqual(['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'MISC_CHECK', 'PING_CHECK', 'UDP_CHECK', 'DNS_CHECK', 'SMTP_CHECK', 'BFD_CHECK', 'FILE_CHECK']);
    const http = rs.checkers[1]!;
    expect(http.children!.map((c) => c.keyword)).toEqual(['url', 'connect_timeout', 'retry', 'delay_before_retry']);
    expect(http.children![0]!.children!.map((c) => [c.keyword, c.args])).toEqual([['path', ['/health']], ['status_code', ['200']]]);
    expect(web.realServers[1]!.inhibitOnFailure).toBe(true); // inherited from the virtual server
    expect(cfg.ignored.map((n) => n.keyword)).toEqual(['global_defs', 'vrrp_script', 'vrrp_instance']);
    expect(rel(cfg.problems)).toEqual([
      "features.conf:32: Unknown keyword 'frobnicate'",
      "features.conf:64: Unknown keyword 'no_such_check'",
      "features.conf:73: Invalid lvs_scheduler 'nosuch' - ignoring",
      'features.conf:74: PARSER : unknown [XYZ] routing method for virtual server.',
      'features.conf:75: Real server weight 70000 is outside range 0-65535',
      "features.conf:29: WARNING - virtual server 10.0.0.100:80 and sorry server ports don't match - resetting",
      "features.conf:70: Virtual server 10.0.0.100:53: no scheduler set, setting default 'wlc'",
      'features.conf:70: Virtual server 10.0.0.100:53: no forwarding method set, setting default NAT',
    ]);
  });

  it('quorum above the total weight is reduced; hysteresis kept below quorum; duplicate real servers dropped', () => {
    const cfg = loadKeepalivedText(
      'virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n quorum 10\n hysteresis 9\n real_server 10.0.0.2 80 {\n weight 2\n }\n real_server 10.0.0.2 80 {\n }\n}\n',
      'q.conf',
    );
    const vs = cfg.virtualServers[0]!;
    expect(vs.quorum).toBe(2);
    expect(vs.hysteresis).toBe(1);
    expect(vs.realServers).toHaveLength(1);
    expect(cfg.problems).toEqual([
      'q.conf:10: VS 10.0.0.1:80: real server 10.0.0.2:80 is duplicated - removing second rs',
      'q.conf:1: Warning - quorum 10 for 10.0.0.1:80 exceeds total weight of real servers 2, reducing quorum to 2',
      'q.conf:1: Virtual server 10.0.0.1:80: hysteresis 9 >= quorum 2; setting hysteresis to 1',
    ]);
  });

  it('IPv6 virtual servers and a tunnelled IPv4 real server in an IPv6 service', () => {
    const cfg = loadKeepalivedText('virtual_server 2001:db8::1 80 {\n protocol TCP\n lb_algo rr\n lb_kind TUN\n real_server 10.0.0.2 80 {\n }\n real_server 2001:db8::2 80 {\n }\n}\n', 'v6.conf');
    expect(cfg.problems).toEqual([]);
    const m = new ControlModel({ names: new StaticResolver() });
    expect(applyKeepalived(m, cfg, NO_STATS)).toEqual([]);
    expect(run(m, '-S -n', NO_STATS).stdout).toBe('-A -t [2001:db8::1]:80 -s rr\n-a -t [2001:db8::1]:80 -r 10.0.0.2:80 -i -w 1 --tun-type ipip\n-a -t [2001:db8::1]:80 -r [2001:db8::2]:80 -i -w 1 --tun-type ipip\n');
  });

  it('health checks change the table through the same validation (typed methods)', () => {
    const cfg = loadKeepalivedText('virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.2 8080 {\n }\n}\n', 'h.conf');
    const m = new ControlModel({ names: new StaticResolver() });
    applyKeepalived(m, cfg, NO_STATS, { realServers: 'none' });
    const vs = cfg.virtualServers[0]!;
    const d = vs.realServers[0]!.dest;
    expect(m.changeDest('add', vs.service, d, NO_STATS)).toBeNull();
    expect(m.changeDest('add', vs.service, d, NO_STATS)).toBe('Destination already exists');
    expect(m.changeDest('edit', vs.service, { ...d, weight: 0 }, NO_STATS)).toBeNull();
    expect(m.findDest(vs.service, 4, '10.0.0.2', 8080)?.weight).toBe(0);
    expect(m.changeDest('edit', vs.service, { ...d, uThreshold: 1, lThreshold: 5 }, NO_STATS)).toBe('Numerical result out of range');
    expect(m.changeDest('delete', vs.service, d, NO_STATS)).toBeNull();
    expect(m.changeDest('delete', vs.service, d, NO_STATS)).toBe('No such destination');
    expect(m.addService(vs.service, NO_STATS)).toBe('Service already exists');
  });
});

describe('keepalived parser details', () => {
  it('~SEQ repeats a line, $_HASH and escaped comment characters, @ lines from definitions', () => {
    const text = [
      '$ME=lb1',
      '$W=@lb1 weight 7',
      'virtual_server 10.0.0.1 80 {',
      ' protocol TCP',
      ' lb_algo rr',
      ' lb_kind NAT',
      ' ~SEQ(i, 2, 4) real_server 10.0.1.$i 80 { notify_up "/bin/n \\#$i" }',
      ' real_server 10.0.2.1 80 {',
      '  $W',
      '  notify_down /bin/x\\#y$_HASH',
      ' }',
      '}',
    ].join('\n');
    const cfg = loadKeepalivedText(text, 's.conf', { configId: 'lb1' });
    expect(cfg.problems).toEqual([]);
    const rs = cfg.virtualServers[0]!.realServers;
    expect(rs.map((r) => r.dest.addr)).toEqual(['10.0.1.2', '10.0.1.3', '10.0.1.4', '10.0.2.1']);
    expect(rs[0]!.notifyUp).toBe('/bin/n #2');
    expect(rs[3]!.dest.weight).toBe(7);
    expect(rs[3]!.notifyDown).toBe('/bin/x#y#');
  });
});

describe('keepalived groups, more forms', () => {
  it('IPv6 group ranges step the last group in hex; entries without a port make the service persistent', () => {
    const cfg = loadKeepalivedText(
      'virtual_server_group V6 {\n 2001:db8::8-a 443\n}\nvirtual_server group V6 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 2001:db8::100 443 {\n }\n}\n' +
        'virtual_server_group NOPORT {\n 10.0.0.1\n}\nvirtual_server group NOPORT {\n protocol TCP\n lb_algo rr\n lb_kind DR\n real_server 10.0.1.1 {\n }\n}\n',
      'g6.conf',
    );
    expect(cfg.virtualServers.map((v) => `${v.service.addr}:${v.service.port}:${v.service.timeoutS}`)).toEqual([
      '2001:db8::8:443:0', '2001:db8::9:443:0', '2001:db8::a:443:0', '10.0.0.1:0:360',
    ]);
    expect(cfg.problems).toEqual(['g6.conf:14: Virtual server [NOPORT]:0: zero port only valid for persistent services - setting']);
  });
});

describe('legacy keywords in real-world files', () => {
  it('nat_mask (keepalived 1.x) is kept as a note, not an error', () => {
    const cfg = loadKeepalivedText('virtual_server 192.168.14.248 80 {\ndelay_loop 3\nlb_algo rr\nlb_kind NAT\nnat_mask 255.255.255.255\nprotocol TCP\nreal_server 192.168.47.145 80 {\nweight 1\ninhibit_on_failure\nTCP_CHECK {\nconnect_port 80\nconnect_timeout 3\n}\n}\n}\n', 'old.conf');
    expect(cfg.problems).toEqual([]);
    expect(cfg.ignored.map((n) => `${n.line}:${n.keyword}`)).toEqual(['5:nat_mask']);
    expect(cfg.virtualServers[0]!.realServers[0]!.inhibitOnFailure).toBe(true);
  });
});
