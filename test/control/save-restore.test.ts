// -S / -R round trips and rules files (ipvs-spec.md §6.6–6.7).

import { describe, expect, it } from 'vitest';
import { fixture, newModel, run, setup } from './helpers.js';
import { parseRulesFile } from '../../src/control/rules-file.js';
import { StaticResolver } from '../../src/control/names.js';
import { HOSTS, SERVICES } from './helpers.js';

describe('-S and -R', () => {
  it('every service/dest option survives -S → -R → -S byte for byte', () => {
    const text = fixture('rules/full.rules');
    const a = newModel();
    const r = run(a, '-R', undefined, text);
    expect(r).toEqual({ stdout: '', stderr: '', code: 0 });
    const saved = run(a, '-S -n').stdout;
    expect(saved).toBe(text);
    const b = newModel();
    expect(run(b, '-R', undefined, saved).code).toBe(0);
    expect(run(b, '-S -n').stdout).toBe(saved);
  });

  it('thresholds are not saved; Local dests are saved as -g', () => {
    const m = newModel();
    setup(m, '-A -t 10.0.0.1:80', '-a -t 10.0.0.1:80 -r 10.0.0.2 -x 10 -y 5');
    expect(run(m, '-S -n').stdout).toBe('-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1\n');
  });

  it('-S without -n prints names, and such a file reads back', () => {
    const m = newModel();
    setup(m, '-A -t 10.0.0.1:80', '-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m');
    const named = run(m, '-S').stdout;
    expect(named).toBe('-A -t vip.example.org:http -s wlc\n-a -t vip.example.org:http -r web1.example.org:http -m -w 1\n');
    const back = parseRulesFile(named, 'named.rules', new StaticResolver(HOSTS, SERVICES));
    expect(back.errors).toEqual([]);
    expect(back.table.services[0]!.addr).toBe('10.0.0.1');
    expect(back.table.services[0]!.dests[0]!.addr).toBe('10.0.0.2');
  });

  it('-R stops at the first parse error (exit 2), keeps earlier lines, continues after kernel errors', () => {
    const m = newModel();
    const r = run(m, '-R', undefined, fixture('rules/with-errors.rules'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('illegal weight specified\n');
    expect(run(m, '-S -n').stdout).toBe('-A -t 10.0.0.1:80 -s rr\n');
    const k = newModel();
    const r2 = run(k, '-R', undefined, '-A -t 10.0.0.1:80\n-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.0.0.2\n');
    expect(r2).toEqual({ stdout: '', stderr: 'Service already exists\n', code: 0 });
    expect(run(k, '-S -n').stdout).toBe('-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1\n');
  });

  it('a -R line inside -R input is the "Try" hint and exit 255', () => {
    const m = newModel();
    const r = run(m, '-R', undefined, '-A -t 10.0.0.1:80\n-R\n');
    expect(r.code).toBe(255);
    expect(r.stderr).toBe("Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n");
  });

  it('onChange fires once for a whole -R', () => {
    const m = newModel();
    let n = 0;
    m.onChange(() => n++);
    run(m, '-R', undefined, fixture('rules/full.rules'));
    expect(n).toBe(1);
  });
});

describe('parseRulesFile', () => {
  it('loads -S output into a table with ids', () => {
    const { table, errors } = parseRulesFile(fixture('rules/full.rules'), 'full.rules');
    expect(errors).toEqual([]);
    expect(table.services).toHaveLength(7);
    const svcIds = table.services.map((s) => s.id);
    const destIds = table.services.flatMap((s) => s.dests.map((d) => d.id));
    expect(new Set(svcIds).size).toBe(7);
    expect(new Set(destIds).size).toBe(8);
    const gue = table.services.find((s) => s.port === 443)!.dests.find((d) => d.addr === '10.0.0.5')!;
    expect(gue).toMatchObject({ fwd: 'Tunnel', tunType: 'gue', tunPort: 6080, tunFlags: 'remcsum', weight: 2, port: 443 });
  });

  it('reports every bad line as file:line: message and keeps the good ones', () => {
    const { table, errors } = parseRulesFile(fixture('rules/with-errors.rules'), 'with-errors.rules');
    expect(errors).toEqual([
      'with-errors.rules:4: illegal weight specified',
      'with-errors.rules:5: Service not defined',
      'with-errors.rules:6: Service already exists',
      "with-errors.rules:8: Try `ipvsadm -h' or 'ipvsadm --help' for more information.",
    ]);
    expect(table.services).toHaveLength(1);
    expect(table.services[0]!.dests.map((d) => `${d.addr}:${d.port}:${d.fwd}`)).toEqual(['10.0.0.3:80:Masq']);
  });
});
