import { describe, expect, it } from 'vitest';
import { agentImageArchFor, agentImageDirFor, agentImageFilesIn, agentUnavailableFor, renderNoAgentScript } from './agent-arch.ts';
import { bootUrls } from './urls.ts';

describe('agentUnavailableFor (iPXE ${buildarch})', () => {
  it('lets x86-64 machines through, from UEFI (x86_64) and from BIOS iPXE (i386), and clients that do not say', () => {
    expect(agentUnavailableFor('x86_64')).toBeUndefined();
    expect(agentUnavailableFor('i386')).toBeUndefined();
    expect(agentUnavailableFor(undefined)).toBeUndefined();
  });
  it('lets an arm64 machine through only when the arm64 image is built', () => {
    expect(agentUnavailableFor('arm64', (a) => a === 'arm64')).toBeUndefined();
    expect(agentUnavailableFor('arm64', () => false)).toBe(
      'the arm64 agent image is not built on this control plane (npm run build:agent-image -- --arch arm64); this machine is arm64',
    );
  });
  it('names an architecture without any image, and keeps a hostile value out of the script line', () => {
    expect(agentUnavailableFor('riscv64', () => true)).toBe("there is no agent image for this machine's architecture (riscv64); images exist for x86_64 and arm64");
    expect(agentUnavailableFor('arm64\nshell')).toBe("there is no agent image for this machine's architecture (arm64?shell); images exist for x86_64 and arm64");
    expect(agentImageArchFor('constructor')).toBeUndefined();
  });
});

describe('where each image is and how a machine fetches it', () => {
  it('keeps the host image where it was and puts arm64 beside it', () => {
    expect(agentImageDirFor('/srv/dist/agent-image', 'amd64')).toBe('/srv/dist/agent-image');
    expect(agentImageDirFor('/srv/dist/agent-image/', 'arm64')).toBe('/srv/dist/agent-image-arm64');
  });
  it('counts an image as built only with both files', () => {
    expect(agentImageFilesIn('/d', (p) => p === '/d/vmlinuz')).toBe(false);
    expect(agentImageFilesIn('/d', (p) => p === '/d/vmlinuz' || p === '/d/initramfs.img')).toBe(true);
  });
  it('gives arm64 its own URLs and amd64 the ones it always had', () => {
    const urls = bootUrls('http://10.0.0.1:8080');
    expect(urls.agentFor('amd64')).toEqual({ kernel: urls.agentKernel, initrd: urls.agentInitrd });
    expect(urls.agentFor('arm64')).toEqual({ kernel: 'http://10.0.0.1:8080/boot/agent/arm64/vmlinuz', initrd: 'http://10.0.0.1:8080/boot/agent/arm64/initramfs.img' });
  });
});

describe('renderNoAgentScript (exact text)', () => {
  it('says why on the console and hands the machine back to its firmware', () => {
    expect(renderNoAgentScript('the arm64 agent image is not built on this control plane')).toBe(
      `#!ipxe
echo Dragonfly: cannot discover or image this machine: the arm64 agent image is not built on this control plane
sleep 30
exit 1
`,
    );
  });
});
