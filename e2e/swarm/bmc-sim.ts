/**
 * ipmi_sim (OpenIPMI) on the loopback of the namespace it is started in, for the imaging
 * scenario: the BMC of a machine that only the instance in that namespace can reach. Prints
 * {"host","port"} once it listens, then {"power"} each time the chassis power changes; stops
 * on SIGTERM.
 *
 *   ip netns exec dfs-sw-n3 node --import tsx e2e/swarm/bmc-sim.ts USER PASSWORD
 */
import { startIpmiSim } from '../../core/power/ipmi/testing/ipmi-sim-harness.ts';

const [username, password] = process.argv.slice(2);
const sim = await startIpmiSim({ username, password });
sim.setPower(false);
const { host, port } = sim.endpoints[0]!;
process.stdout.write(JSON.stringify({ host, port }) + '\n');
let last = sim.chassis('power');
process.stdout.write(JSON.stringify({ power: last }) + '\n');
const timer = setInterval(() => {
  const now = sim.chassis('power');
  if (now !== last) process.stdout.write(JSON.stringify({ power: (last = now) }) + '\n');
}, 100);
process.on('SIGTERM', () => {
  clearInterval(timer);
  void sim.stop().finally(() => process.exit(0));
});
