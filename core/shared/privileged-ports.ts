/**
 * What to do when UDP 67/69/4011 cannot be bound (one text for DHCP and TFTP). On Linux the
 * app itself stays unprivileged: a root helper binds only those ports (docs/PRIVILEGES.md).
 */
export function privilegedPortFix(platform: NodeJS.Platform = process.platform): string {
  if (platform !== 'linux') return 'Run Dragonfly elevated (root/Administrator); see docs/PRIVILEGES.md.';
  const uid = process.getuid?.() ?? 1000;
  return (
    'Let the privileged helper bind them (it binds only UDP 67/69/4011 on the provisioning interface, and 68 for the existing-DHCP probe while it runs, and relays their datagrams): ' +
    `start \`sudo dragonfly-privhelper --listen /run/dragonfly-privhelper.sock --owner ${uid}\` and run Dragonfly with ` +
    '`--priv-helper unix:/run/dragonfly-privhelper.sock`; the desktop package does this through pkexec. Or run Dragonfly as root. See docs/PRIVILEGES.md.'
  );
}
