import type { FastifyInstance } from 'fastify';
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { AuthService } from '../auth/auth-service.ts';
import { agentImageArchFor, agentImageDirFor, agentImageFilesIn, agentUnavailableFor, renderNoAgentScript } from '../boot/agent-arch.ts';
import { bootFate, type BootFate } from '../boot/fate.ts';
import { firmwareFrom } from '../boot/bootfile.ts';
import { renderGrubConfig, renderGrubNoAgentConfig, renderGrubRetryConfig } from '../boot/grub.ts';
import { renderIpxeAutoexec } from '../boot/ipxe-autoexec.ts';
import { renderChainScript, renderIpxeScript, renderRetryScript } from '../boot/script.ts';
import { fatImageBytes } from '../boot/fat-image.ts';
import { RAM_DISK_TYPE, secureBootDisk } from '../boot/secure-boot-disk.ts';
import { BootTimeline } from '../boot/timeline.ts';
import { asksForUefiX64Ipxe, sendsToDisk } from '../boot/uefi-local-loader.ts';
import { AGENT_FILES, AGENT_IMAGE_ARCHES, bootRoutes, ramDiskPaths, type AgentImageArch } from '../boot/urls.ts';
import type { Hardware } from '../model/hardware.ts';
import type { Registrar } from '../inventory/registration.ts';
import { isMac, parseMac } from '../shared/mac.ts';
import { DragonflyError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { sendFile, sendFileUnder } from './file-serving.ts';

export interface BootDeps {
  auth: AuthService;
  registrar: Registrar;
  logger: Logger;
  serverUrl: () => string;
  /** Directory holding vmlinuz and initramfs.img of the agent image (an arm64 image lives beside it: agent-arch.ts). */
  agentImageDir: string;
  /** While the image is being built or cannot be, a booting machine is told so instead of a bare 404. */
  agentImageState?: () => { state: 'present' | 'building' | 'missing'; detail: string };
  /** Directory holding the signed shimx64.efi and grubx64.efi; without it no Secure Boot RAM disk is served. */
  secureBootDir?: string;
  /** Directory holding the iPXE binaries (undionly.kpxe, ipxe.efi, snponly.efi). */
  ipxeDir: string;
  /** Our UEFI disk loader (assets/localboot), served for the x64 iPXE to a machine sent to its disk. */
  uefiLocalLoader?: string;
  /** Directory of cached OS images served to machines. */
  imageDir?: string;
  /** Extra response headers for a served image file (e.g. its uncompressed length). */
  imageHeaders?: (file: string) => Record<string, string>;
  /** The boot timeline shared with DHCP and TFTP; default one of its own on `registrar`. */
  timeline?: BootTimeline;
  /** Whether a MAC already has a Hardware object (it then costs no discovery budget); default none does. */
  knownMac?: (mac: string) => boolean;
}

const publicRoute = { config: { access: 'public' as const } };

/** Routes a booting machine must reach without credentials: the script and the files it names. */
export async function bootPlugin(app: FastifyInstance, deps: BootDeps): Promise<void> {
  const timeline = deps.timeline ?? new BootTimeline(deps.registrar);
  const gate = timeline.enrolment;
  const knownMac = deps.knownMac ?? (() => false);
  app.get<{ Querystring: { mac?: string; platform?: string; arch?: string } }>(
    bootRoutes.script,
    { ...publicRoute, schema: { tags: ['Boot'], summary: 'iPXE script for a MAC: the server decides its fate' } },
    async (req, reply) => {
      reply.type('text/plain; charset=utf-8');
      if (!req.query.mac) return renderChainScript(deps.serverUrl());
      if (!isMac(req.query.mac)) throw new DragonflyError('DF_ERR_INVALID', `mac "${req.query.mac}" is not a MAC address`);
      const mac = parseMac(req.query.mac);
      const firmware = firmwareFrom(req.query.platform);
      const hw = await admit(mac, req.ip);
      if (typeof hw === 'string') {
        deps.logger.warn({ mac, ip: req.ip, why: hw }, 'boot script without a token');
        return renderRetryScript(deps.serverUrl(), hw);
      }
      const fate = bootFate(hw);
      await timeline.script(mac, req.ip, fate, firmware);
      const noAgent = fate.kind === 'local' ? undefined : agentUnavailableFor(req.query.arch, hasForeignImage);
      if (noAgent) {
        deps.logger.warn({ mac, arch: req.query.arch }, noAgent);
        return renderNoAgentScript(noAgent);
      }
      const agentArch = agentImageArchFor(req.query.arch) ?? 'amd64';
      deps.logger.info({ mac, fate: fate.kind, firmware, agentArch }, 'boot script served');
      return renderIpxeScript({ fate, mac, firmware, serverUrl: deps.serverUrl(), enrolmentToken: await enrolmentToken(mac, req.ip), displayName: hw.spec.displayName, agentArch });
    },
  );

  // The Secure Boot chain's GRUB asks over TFTP; core/app's TFTP resolver answers with this route.
  // `arch`: the GRUB's CPU (the arm64 chain asks under its own name, signed-chain.ts); absent: x86_64.
  app.get<{ Params: { mac: string }; Querystring: { arch?: string } }>(
    bootRoutes.grubConfig,
    { ...publicRoute, schema: { tags: ['Boot'], summary: 'GRUB configuration for a MAC (Secure Boot chain): the same fate as the iPXE script' } },
    async (req, reply) => {
      reply.type('text/plain; charset=utf-8');
      return grubConfigFor(macParam(req.params.mac), req.ip, undefined, req.query.arch);
    },
  );

  // iPXE's EFI autoexec.ipxe, asked over TFTP (core/boot/ipxe-autoexec.ts): a local boot is
  // answered without iPXE's own DHCP. It carries no token and creates nothing, so only a machine
  // we know is answered; every other case is "not found" and iPXE takes the script route above.
  app.get<{ Params: { mac: string } }>(
    bootRoutes.ipxeAutoexec,
    { ...publicRoute, schema: { tags: ['Boot'], summary: "iPXE's EFI autoexec.ipxe for a MAC: the local boot script, or 404 for every other fate" } },
    async (req, reply) => {
      if (!isMac(req.params.mac)) throw new DragonflyError('DF_ERR_INVALID', `mac "${req.params.mac}" is not a MAC address`);
      const mac = parseMac(req.params.mac);
      const hw = knownMac(mac) ? await deps.registrar.ensureDiscovered(mac) : undefined;
      const fate = bootFate(hw);
      const text = hw && renderIpxeAutoexec(fate, mac, hw.spec.displayName);
      if (!text) throw new DragonflyError('DF_ERR_NOT_FOUND', `no autoexec for ${mac} (${hw ? fate.kind : 'unknown machine'}): iPXE boots through its script`);
      await timeline.script(mac, req.ip, fate, 'uefi');
      deps.logger.info({ mac, fate: fate.kind, chain: 'ipxe-autoexec' }, 'iPXE autoexec served');
      reply.type('text/plain; charset=utf-8');
      return text;
    },
  );

  // Whether the x64 UEFI firmware of a MAC gets our disk loader for the iPXE it asks for
  // (core/boot/uefi-local-loader.ts); the TFTP side asks this route, HTTP boot the one below.
  app.get<{ Params: { mac: string } }>(
    bootRoutes.uefiLocalLoader,
    { ...publicRoute, schema: { tags: ['Boot'], summary: 'Whether an x64 UEFI MAC is sent to its disk by the Dragonfly loader: 200 for a local boot, 404 for every other fate' } },
    async (req, reply) => {
      const mac = macParam(req.params.mac);
      const fate = await sendsToDiskFate(mac, req.ip);
      if (!fate) throw new DragonflyError('DF_ERR_NOT_FOUND', `${mac} is not sent to its disk: the firmware gets iPXE`);
      reply.type('text/plain; charset=utf-8');
      return 'disk\n';
    },
  );

  /** The local fate when this machine's firmware is sent to its disk (recorded on its timeline); undefined otherwise. */
  async function sendsToDiskFate(mac: string, ip: string): Promise<BootFate | undefined> {
    const hw = knownMac(mac) ? await deps.registrar.ensureDiscovered(mac) : undefined;
    const fate = bootFate(hw);
    if (!hw || !sendsToDisk(fate)) return undefined;
    await timeline.script(mac, ip, fate, 'uefi');
    deps.logger.info({ mac, fate: fate.kind, chain: 'uefi-local-loader' }, 'UEFI sent to its disk');
    return fate;
  }

  if (deps.secureBootDir) {
    const dirs = { signedDir: deps.secureBootDir, agentImageDir: deps.agentImageDir };
    const summary = 'RAM disk of the Secure Boot chain for UEFI HTTP boot: shim, GRUB, the GRUB configuration for a MAC, the agent';
    // The firmware asks for the size first; it cannot depend on the machine, which HEAD does not admit (secure-boot-disk.ts).
    // `arch`: an arm64 client's disk (bootUrls.secureBootDisk); absent: x64.
    type DiskRequest = { Params: { mac: string }; Querystring: { arch?: string } };
    app.head<DiskRequest>(bootRoutes.secureBootDisk, { ...publicRoute, schema: { tags: ['Boot'], summary } }, async (req, reply) => {
      macParam(req.params.mac);
      const image = await secureBootDisk(dirs, '', diskArch(req.query.arch)).catch(diskMissing);
      return reply.type(RAM_DISK_TYPE).header('content-length', image.size).send();
    });
    app.get<DiskRequest>(bootRoutes.secureBootDisk, { ...publicRoute, schema: { tags: ['Boot'], summary } }, async (req, reply) => {
      const arch = diskArch(req.query.arch);
      const config = await grubConfigFor(macParam(req.params.mac), req.ip, { kernel: ramDiskPaths.agentKernel, initrd: ramDiskPaths.agentInitrd }, req.query.arch);
      const image = await secureBootDisk(dirs, config, arch).catch(diskMissing);
      timeline.httpFile(req.ip, 'secure boot disk');
      reply.type(RAM_DISK_TYPE).header('content-length', image.size);
      return reply.send(Readable.from(fatImageBytes(image, (path) => createReadStream(path))));
    });
  }

  function macParam(text: string): string {
    if (!isMac(text)) throw new DragonflyError('DF_ERR_INVALID', `mac "${text}" is not a MAC address`);
    return parseMac(text);
  }

  function diskArch(arch: string | undefined): AgentImageArch {
    const known = agentImageArchFor(arch);
    if (!known) throw new DragonflyError('DF_ERR_INVALID', `no Secure Boot RAM disk for architecture "${arch}": x64 has no arch, the others are ${AGENT_IMAGE_ARCHES.filter((a) => a !== 'amd64').join(', ')}`);
    return known;
  }

  function diskMissing(e: Error): never {
    deps.logger.warn({ err: e.message }, 'a Secure Boot machine asked for its RAM disk, which cannot be built');
    throw new DragonflyError('DF_ERR_NOT_FOUND', `Secure Boot RAM disk: ${e.message}`);
  }

  /** The machine's GRUB configuration (its fate), or one that says why it waits and restarts. */
  async function grubConfigFor(mac: string, ip: string, agentFiles?: { kernel: string; initrd: string }, arch?: string): Promise<string> {
    const hw = await admit(mac, ip);
    if (typeof hw === 'string') {
      deps.logger.warn({ mac, ip, why: hw }, 'GRUB configuration without a token');
      return renderGrubRetryConfig(hw);
    }
    const fate = bootFate(hw);
    await timeline.script(mac, ip, fate, 'uefi');
    const noAgent = fate.kind === 'local' ? undefined : agentUnavailableFor(arch, hasForeignImage);
    if (noAgent) {
      deps.logger.warn({ mac, arch }, noAgent);
      return renderGrubNoAgentConfig(noAgent);
    }
    const agentArch = agentImageArchFor(arch) ?? 'amd64';
    deps.logger.info({ mac, fate: fate.kind, chain: 'grub', agentArch }, 'GRUB configuration served');
    const token = await enrolmentToken(mac, ip);
    return renderGrubConfig({ fate, mac, serverUrl: deps.serverUrl(), enrolmentToken: token, displayName: hw.spec.displayName, agentArch, ...(agentFiles ? { agentFiles } : {}) });
  }

  /** UEFI HTTP boot's request for the x64 iPXE, from a machine sent to its disk: the loader's path. */
  async function uefiLocalLoaderOver(file: string, ip: string): Promise<string | undefined> {
    const loader = deps.uefiLocalLoader;
    const mac = timeline.macOf(ip);
    if (!loader || !mac || !asksForUefiX64Ipxe(file) || !existsSync(loader)) return undefined;
    return (await sendsToDiskFate(mac, ip)) ? loader : undefined;
  }

  /** Whether the image of another architecture than the host's is built (read at each request: it may be built while serving). */
  function hasForeignImage(arch: AgentImageArch): boolean {
    return agentImageFilesIn(agentImageDirFor(deps.agentImageDir, arch), existsSync);
  }

  /** The machine's object, or why this request gets no token and creates nothing (issue 14). */
  async function admit(mac: string, ip: string): Promise<Hardware | string> {
    const refused = await gate.mayIssue(mac, ip);
    if (refused) return refused;
    if (!knownMac(mac) && !gate.mayDiscover()) return 'too many new machines at once; waiting for room';
    return deps.registrar.ensureDiscovered(mac);
  }

  async function enrolmentToken(mac: string, ip: string): Promise<string> {
    const token = deps.auth.issueEnrolmentToken(mac);
    await gate.recordIssued(token, ip);
    return token;
  }

  app.get(bootRoutes.autoexec, { ...publicRoute, schema: { tags: ['Boot'], summary: 'Chain script for a TFTP-loaded iPXE' } }, async (_req, reply) => {
    reply.type('text/plain; charset=utf-8');
    return renderChainScript(deps.serverUrl());
  });

  {
    const method = 'GET';
    app.route<{ Params: { file: string } }>({
      method,
      url: bootRoutes.agentFile,
      ...publicRoute,
      schema: { tags: ['Boot'], summary: 'Agent kernel and initramfs' },
      handler: async (req, reply) => {
        if (!AGENT_FILES.includes(req.params.file)) throw new DragonflyError('DF_ERR_NOT_FOUND', `no agent file ${req.params.file}`);
        const path = join(deps.agentImageDir, req.params.file);
        const image = deps.agentImageState?.();
        if (image && image.state !== 'present' && !existsSync(path)) {
          // iPXE prints the status line; the log tells the operator which machine waited.
          deps.logger.warn({ file: req.params.file, agentImage: image.detail }, 'a machine asked for the agent image before it was ready');
          if (image.state === 'building') reply.header('retry-after', '60');
          throw new DragonflyError(image.state === 'building' ? 'DF_ERR_UNAVAILABLE' : 'DF_ERR_NOT_FOUND', `agent image ${image.detail}`);
        }
        timeline.httpFile(req.ip, `agent ${req.params.file}`);
        return sendFile(req, reply, path);
      },
    });
    app.route<{ Params: { arch: string; file: string } }>({
      method,
      url: bootRoutes.agentArchFile,
      ...publicRoute,
      schema: { tags: ['Boot'], summary: 'Agent kernel and initramfs of another architecture (arm64)' },
      handler: async (req, reply) => {
        const arch = AGENT_IMAGE_ARCHES.find((a) => a !== 'amd64' && a === req.params.arch);
        if (!arch || !AGENT_FILES.includes(req.params.file)) throw new DragonflyError('DF_ERR_NOT_FOUND', `no agent file ${req.params.arch}/${req.params.file}`);
        timeline.httpFile(req.ip, `agent ${arch}/${req.params.file}`);
        return sendFile(req, reply, join(agentImageDirFor(deps.agentImageDir, arch), req.params.file));
      },
    });
    app.route<{ Params: { file: string } }>({
      method,
      url: bootRoutes.ipxeFile,
      ...publicRoute,
      schema: { tags: ['Boot'], summary: 'iPXE binaries' },
      handler: async (req, reply) => {
        const loader = await uefiLocalLoaderOver(req.params.file, req.ip);
        if (loader) return sendFile(req, reply, loader);
        const sent = await sendFileUnder(req, reply, deps.ipxeDir, req.params.file);
        // UEFI HTTP boot fetches its NBP here instead of over TFTP: the boot history says so.
        timeline.httpFile(req.ip, `ipxe ${req.params.file}`);
        return sent;
      },
    });
    if (deps.imageDir) {
      const dir = deps.imageDir;
      app.route<{ Params: { '*': string } }>({
        method,
        url: bootRoutes.images,
        ...publicRoute,
        schema: { tags: ['Boot'], summary: 'Cached OS images, with Range support' },
        handler: async (req, reply) => {
          const rel = req.params['*'];
          for (const [k, v] of Object.entries(deps.imageHeaders?.(rel) ?? {})) reply.header(k, v);
          return sendFileUnder(req, reply, dir, rel);
        },
      });
    }
  }
}
