// ipvsadm's error texts and exit statuses (ipvs-spec.md §6.2–6.3, ipvsadm.c fail()/tryhelp_exit(),
// libipvs ipvs_strerror()), and "a bad command changes nothing".

import { describe, expect, it } from 'vitest';
import { newModel, run, setup } from './helpers.js';

const TRY = "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n";

const CASES: Array<[string, string, number]> = [
  // parse errors: fail(2, ...)
  ['-A -t 10.0.0.1', 'Zero port specified for non-persistent service\n', 2],
  ['-A -t 80', 'illegal virtual server address[:port] specified\n', 2],
  ['-A -t 10.0.0.1:99999', 'illegal virtual server address[:port] specified\n', 2],
  ['-A -t 10.0.0.1:nosuchsvc', 'illegal virtual server address[:port] specified\n', 2],
  ['-a -t 10.0.0.1:80 -r bogus..host', 'illegal real server address[:port] specified\n', 2],
  ['-a -t 10.0.0.1:80 -r 10.0.0.2 -w 65536', 'illegal weight specified\n', 2],
  ['-a -t 10.0.0.1:80 -r 10.0.0.2 -w -1', 'illegal weight specified\n', 2],
  ['-a -t 10.0.0.1:80 -r 10.0.0.2 -x abc', 'illegal u_threshold specified\n', 2],
  ['-a -t 10.0.0.1:80 -r 10.0.0.2 -y 2147483648', 'illegal l_threshold specified\n', 2],
  ['-A -t 10.0.0.1:80 -p 0', "invalid timeout value `0' specified\n", 2],
  ['-A -t 10.0.0.1:80 -p 2678401', "invalid timeout value `2678401' specified\n", 2],
  ['-A -f 0', "invalid fwmark value `0' specified\n", 2],
  ['-A -f 4294967296', "invalid fwmark value `4294967296' specified\n", 2],
  ['-A -t 10.0.0.1:80 -p -M nonsense', 'illegal virtual server persistent mask specified\n', 2],
  ['-A -t [2001:db8::1]:80 -p -M 129', 'illegal ipv6 netmask specified\n', 2],
  ['-A -t 10.0.0.1:80 -6', '-6 used before -f\n\n', 2],
  ['-A -u 10.0.0.1:53 -s rr -b nosuch', "invalid scheduler flag `nosuch'\n", 2],
  ['-A -u 10.0.0.1:53 -s rr -b sh-port', "incompatible scheduler flag `sh-port'\n", 2],
  ['-A -t 10.0.0.1:80 -o', 'One-Packet Scheduling is only for UDP virtual services\n', 2],
  ['--set 1 2', '--set option requires 3 timeout values\n', 2],
  ['--set 1 2 x', "invalid timeout value `x' specified\n", 2],
  ['-L extra', 'unexpected argument extra\n', 2],
  ['-L -h', "invalid option `-h'\n", 2],
  ['-L -A', "invalid option `-A'\n", 2],
  // a second command is not a command to ipvsadm's option loop: poptBadOption() names the last word read
  ['-A -t 10.0.0.9:80 -D', "invalid option `-D'\n", 2],
  ['-L -n --start-daemon master', "invalid option `master'\n", 2],
  ['-A -t 10.0.0.1:80 -t 10.0.0.2:80', "multiple 'service-address' options specified\n", 2],
  ['-a -t 10.0.0.1:80 -r 10.0.0.2 -g -m', "multiple 'forwarding-method' options specified\n", 2],
  ['-A -t 10.0.0.1:80 -r 10.0.0.2', "Illegal 'real-server' option with the 'add-service' command\n", 2],
  ['-a -t 10.0.0.1:80', "You need to supply the 'real-server' option for the 'add-server' command\n", 2],
  ['-D', "You need to supply the 'service-address' option for the 'delete-service' command\n", 2],
  ['-L -c --timeout', "The option 'timeout' conflicts with the 'connection' option in the 'list' command\n", 2],
  ['-L -c --stats', 'options conflicts in the list command\n', 2],
  ['-L --timeout --persistent-conn', 'options conflicts in the list command\n', 2],
  ['-S -c', "Illegal 'connection' option with the 'save' command\n", 2],
  ['-a -t 10.0.0.1:80 -r 10.0.0.2 --tun-type gue', 'Tunnel options conflict with forward method\n', 2],
  ['-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue', "You need to supply the 'tun-port' option for the 'gue' tunnel type\n", 2],
  ['-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-port 6080', "Illegal 'tun-port' option with the 'ipip' tunnel type\n", 2],
  ['-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gre --tun-remcsum', "Illegal 'tun-remcsum' option with the 'gre' tunnel type\n", 2],
  ['-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue --tun-port 1 --tun-csum --tun-remcsum', "The option 'tun-remcsum' conflicts with the 'tun-csum' option in the 'gue' tunnel type\n", 2],
  ['-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type vxlan', 'illegal tunnel type specified\n', 2],
  ['-a -t 10.0.0.1:80 -r [2001:db8::2]:80', 'Different address family is allowed only for tunneling servers\n', 2],
  ['--start-daemon primary', 'illegal start-daemon parameter specified\n', 2],
  ['--stop-daemon primary', 'illegal start_daemon specified\n', 2],
  ['--start-daemon master --mcast-group 10.0.0.1', "invalid IPv4 mcast-group `10.0.0.1'\n", 2],
  ['--start-daemon master --syncid 256', 'illegal syncid specified\n', 2],
  // popt errors and the "Try" hint: exit 255
  ['-n -L', TRY, 255],
  ['', '', 0],
  ['-Q', TRY, 255],
  ['-L --bogus', '--bogus: unknown option\n', 255],
  ['-A -t', '-t: missing argument\n', 255],
  ['-L --numeric=yes', '--numeric=yes: option does not take an argument\n', 255],
  // kernel errors: one line, exit 255
  ['-A -t 10.0.0.1:80', 'Service already exists\n', 255],
  ['-A -t 10.0.0.9:80 -s nosuch', 'Scheduler or persistence engine not found\n', 255],
  ['-A -t 10.0.0.9:80 -p --pe nosuch', 'Scheduler or persistence engine not found\n', 255],
  ['-E -t 10.0.0.9:80', 'No such service\n', 255],
  ['-D -t 10.0.0.9:80', 'No such service\n', 255],
  ['-Z -t 10.0.0.9:80', 'No such service\n', 255],
  ['-a -t 10.0.0.9:80 -r 10.0.0.2', 'Service not defined\n', 255],
  ['-a -t 10.0.0.1:80 -r 10.0.0.2', 'Destination already exists\n', 255],
  ['-e -t 10.0.0.1:80 -r 10.0.0.7', 'No such destination\n', 255],
  ['-d -t 10.0.0.1:80 -r 10.0.0.7', 'No such destination\n', 255],
  ['-a -t 10.0.0.1:80 -r 10.0.0.8 -x 5 -y 10', 'Numerical result out of range\n', 255],
  ['-a -t 10.0.0.1:80 -r 224.0.0.1', 'Invalid operation.  Possibly wrong module version, address not unicast, ...\n', 255],
  ['--stop-daemon master', 'No daemon is running\n', 255],
  // DIFF: uvs has no connection sync daemon, so starting one is refused
  ['--start-daemon master --mcast-interface eth0 --syncid 5', 'Protocol not available\n', 255],
  ['-L --daemon --stats', 'options conflicts in the list command\n', 2],
  // list of a missing service: exit(1)
  ['-L -t 10.0.0.9:80', 'No such service\n', 1],
];

describe('error texts and exit codes', () => {
  for (const [cmd, stderr, code] of CASES) {
    it(`ipvsadm ${cmd || '(no args)'}`, () => {
      const m = newModel();
      setup(m, '-A -t 10.0.0.1:80', '-a -t 10.0.0.1:80 -r 10.0.0.2');
      const before = m.snapshot();
      const r = run(m, cmd);
      expect(r.stderr).toBe(stderr);
      expect(r.code).toBe(code);
      if (code !== 0) expect(m.snapshot()).toEqual(before);
    });
  }

  it('-h prints usage on stdout and -v the version, exit 0', () => {
    const m = newModel();
    const h = run(m, '-h');
    expect(h.code).toBe(0);
    expect(h.stdout.startsWith('ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\nUsage:\n  ipvsadm -A|E virtual-service')).toBe(true);
    expect(h.stdout).toContain('  --sched-flags  -b flags             scheduler flags (comma-separated)\n');
    expect(run(m, '--version')).toEqual({ stdout: 'ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n', stderr: '', code: 0 });
  });

  it('a leading "ipvsadm" word is ignored', () => {
    const m = newModel();
    expect(run(m, 'ipvsadm -A -t 10.0.0.1:80').code).toBe(0);
    expect(run(m, 'ipvsadm -S -n').stdout).toBe('-A -t 10.0.0.1:80 -s wlc\n');
  });
});

describe('command semantics', () => {
  it('-p alone is 360 s; -p before another option does not eat it', () => {
    const m = newModel();
    setup(m, '-A -t 10.0.0.1:80 -p -s rr', '-A -t 10.0.0.2:80 -p 120', '-A -t 10.0.0.3:0 -p');
    expect(run(m, '-S -n').stdout).toBe('-A -t 10.0.0.1:80 -s rr -p 360\n-A -t 10.0.0.2:80 -s wlc -p 120\n-A -t 10.0.0.3:0 -s wlc -p 360\n');
  });

  it('bundled short options, attached arguments and long forms with =', () => {
    const m = newModel();
    setup(m, '-At 10.0.0.1:80 -srr', '--add-server --tcp-service=10.0.0.1:80 --real-server=10.0.0.2:8080 --masquerading --weight=3');
    expect(run(m, '-Sn').stdout).toBe('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 3\n');
  });

  it('-r without port takes the service port; DR/TUN force the service port', () => {
    const m = newModel();
    setup(m, '-A -t 10.0.0.1:80', '-a -t 10.0.0.1:80 -r 10.0.0.2', '-a -t 10.0.0.1:80 -r 10.0.0.3:8080', '-a -t 10.0.0.1:80 -r 10.0.0.4:8080 -m', '-A -f 5', '-a -f 5 -r 10.0.0.5:443');
    expect(run(m, '-S -n').stdout).toBe(
      '-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1\n-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 1\n-a -t 10.0.0.1:80 -r 10.0.0.4:8080 -m -w 1\n-A -f 5 -s wlc\n-a -f 5 -r 10.0.0.5:443 -g -w 1\n',
    );
  });

  it('-E resets unspecified options to defaults; -e resets weight and method', () => {
    const m = newModel();
    setup(m, '-A -t 10.0.0.1:80 -s rr -p 60 -M 255.255.255.0', '-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 5 -x 10');
    setup(m, '-E -t 10.0.0.1:80', '-e -t 10.0.0.1:80 -r 10.0.0.2:8080 -m');
    expect(run(m, '-S -n').stdout).toBe('-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 1\n');
  });

  it('ids are stable across edits; a re-added dest gets its old id back; services get new ids', () => {
    const m = newModel();
    setup(m, '-A -t 10.0.0.1:80', '-a -t 10.0.0.1:80 -r 10.0.0.2', '-a -t 10.0.0.1:80 -r 10.0.0.3');
    const svc = m.current.services[0]!;
    const [d3, d2] = svc.dests;
    expect(d3!.addr).toBe('10.0.0.3'); // newest first
    setup(m, '-e -t 10.0.0.1:80 -r 10.0.0.2 -w 7', '-E -t 10.0.0.1:80 -s rr');
    expect(m.current.services[0]!.id).toBe(svc.id);
    expect(m.current.services[0]!.dests.map((d) => d.id)).toEqual([d3!.id, d2!.id]);
    setup(m, '-d -t 10.0.0.1:80 -r 10.0.0.2', '-a -t 10.0.0.1:80 -r 10.0.0.2');
    expect(m.current.services[0]!.dests[0]!.id).toBe(d2!.id);
    setup(m, '-D -t 10.0.0.1:80', '-A -t 10.0.0.1:80');
    expect(m.current.services[0]!.id).not.toBe(svc.id);
    // dests of a deleted service wait in the trash too (ip_vs_trash_get_dest matches the service address)
    setup(m, '-a -t 10.0.0.1:80 -r 10.0.0.3', '-C', '-A -t 10.0.0.1:80', '-a -t 10.0.0.1:80 -r 10.0.0.3', '-A -t 10.0.0.9:80', '-a -t 10.0.0.9:80 -r 10.0.0.3');
    expect(m.current.services[0]!.dests[0]!.id).toBe(d3!.id);
    expect(m.current.services[1]!.dests[0]!.id).not.toBe(d3!.id);
  });

  it('a dest on the director itself lists as Route (current kernels decide local delivery per packet)', () => {
    const m = newModel();
    setup(m, '-A -t 10.0.0.1:80', '-a -t 10.0.0.1:80 -r 127.0.0.1 -g -w 5');
    expect(run(m, '-L -n').stdout.split('\n')[4]).toBe('  -> 127.0.0.1:80                 Route   5      0          0         ');
  });

  it('-C clears services but keeps timeouts; onChange fires once per change', () => {
    const m = newModel();
    const seen: number[] = [];
    m.onChange((t) => seen.push(t.services.length));
    setup(m, '-A -t 10.0.0.1:80', '--set 10 20 30', '-C');
    run(m, '-L -n');
    run(m, '-A -t 10.0.0.1:80 -s bogus');
    expect(seen).toEqual([1, 1, 0]);
    expect(m.current.timeouts).toEqual({ tcpS: 10, tcpFinS: 20, udpS: 30 });
  });

  it('inet_aton forms and /etc/hosts names are accepted like ipvsadm', () => {
    const m = newModel();
    setup(m, '-A -t 0x0a000001:www', '-a -t 10.0.0.1:80 -r web1', '-A -u 10.1:53');
    expect(run(m, '-S -n').stdout).toBe('-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1\n-A -u 10.0.0.1:53 -s wlc\n');
  });
});
