import { describe, expect, it } from 'vitest';
import { agentUnavailableFor, renderNoAgentScript } from './agent-arch.ts';

describe('agentUnavailableFor (iPXE ${buildarch})', () => {
  it('lets x86-64 machines through, from UEFI (x86_64) and from BIOS iPXE (i386), and clients that do not say', () => {
    expect(agentUnavailableFor('x86_64')).toBeUndefined();
    expect(agentUnavailableFor('i386')).toBeUndefined();
    expect(agentUnavailableFor(undefined)).toBeUndefined();
  });
  it('names an arm64 machine, and keeps a hostile value out of the script line', () => {
    expect(agentUnavailableFor('arm64')).toBe('the agent image runs on x86_64 machines only; this machine is arm64');
    expect(agentUnavailableFor('arm64\nshell')).toBe('the agent image runs on x86_64 machines only; this machine is arm64?shell');
  });
});

describe('renderNoAgentScript (exact text)', () => {
  it('says why on the console and hands the machine back to its firmware', () => {
    expect(renderNoAgentScript('the agent image runs on x86_64 machines only; this machine is arm64')).toBe(
      `#!ipxe
echo Dragonfly: cannot discover or image this machine: the agent image runs on x86_64 machines only; this machine is arm64
sleep 30
exit 1
`,
    );
  });
});
