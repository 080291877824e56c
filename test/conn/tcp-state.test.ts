import { describe, expect, it } from 'vitest';
import {
  DIR_INPUT, DIR_INPUT_ONLY, DIR_OUTPUT, ProtoTimeouts, TCP_STATE_NAMES, TCP_S_ESTABLISHED, TCP_S_FIN_WAIT, tcpNextState,
} from '../../src/conn/tcp-state.js';

const F = { S: 0x02, SA: 0x12, A: 0x10, FA: 0x11, R: 0x04, RA: 0x14, none: 0 };

function run(seq: Array<[number, number]>): string[] {
  let s = 0;
  return seq.map(([dir, flags]) => TCP_STATE_NAMES[(s = tcpNextState(s, dir, flags))]!);
}

describe('TCP state machine (§4.4)', () => {
  it('NAT, client closes first', () => {
    expect(run([[DIR_INPUT, F.S], [DIR_OUTPUT, F.SA], [DIR_INPUT, F.A], [DIR_INPUT, F.FA], [DIR_OUTPUT, F.FA], [DIR_INPUT, F.A]]))
      .toEqual(['SYN_RECV', 'SYN_RECV', 'ESTABLISHED', 'CLOSE_WAIT', 'TIME_WAIT', 'TIME_WAIT']);
  });
  it('NAT, server closes first', () => {
    expect(run([[DIR_INPUT, F.S], [DIR_OUTPUT, F.SA], [DIR_INPUT, F.A], [DIR_OUTPUT, F.FA], [DIR_INPUT, F.FA]]))
      .toEqual(['SYN_RECV', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'TIME_WAIT']);
  });
  it('DR/TUN (INPUT_ONLY)', () => {
    expect(run([[DIR_INPUT_ONLY, F.S], [DIR_INPUT_ONLY, F.A], [DIR_INPUT_ONLY, F.FA], [DIR_INPUT_ONLY, F.A], [DIR_INPUT_ONLY, F.R]]))
      .toEqual(['SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'FIN_WAIT', 'CLOSE']);
  });
  it('event priority: RST over SYN over FIN over ACK; no flags → CLOSE', () => {
    expect(TCP_STATE_NAMES[tcpNextState(TCP_S_ESTABLISHED, DIR_INPUT, F.RA | F.S)]).toBe('CLOSE');
    expect(TCP_STATE_NAMES[tcpNextState(TCP_S_ESTABLISHED, DIR_INPUT, F.S | F.FA)]).toBe('ESTABLISHED');
    expect(TCP_STATE_NAMES[tcpNextState(TCP_S_ESTABLISHED, DIR_INPUT, F.FA)]).toBe('CLOSE_WAIT');
    expect(TCP_STATE_NAMES[tcpNextState(TCP_S_ESTABLISHED, DIR_INPUT, F.none)]).toBe('CLOSE');
    expect(TCP_STATE_NAMES[tcpNextState(TCP_S_FIN_WAIT, DIR_INPUT_ONLY, F.S)]).toBe('SYN_RECV');
  });
  it('--set tcp tcpfin udp changes ESTABLISHED, FIN_WAIT and UDP only; 0 keeps', () => {
    const t = new ProtoTimeouts();
    expect([...t.tcpMs].map((v) => v / 1000)).toEqual([2, 900, 120, 60, 120, 120, 10, 60, 30, 120, 120]);
    t.set(3600, 0, 60);
    expect(t.tcpMs[TCP_S_ESTABLISHED]).toBe(3_600_000);
    expect(t.tcpMs[TCP_S_FIN_WAIT]).toBe(120_000);
    expect(t.udpMs).toBe(60_000);
    t.set(0, 30, 0);
    expect(t.tcpMs[TCP_S_ESTABLISHED]).toBe(3_600_000);
    expect(t.tcpMs[TCP_S_FIN_WAIT]).toBe(30_000);
    expect(t.tcpMs[5]).toBe(120_000);
  });
});
