/**
 * Sends one Wake-on-LAN packet from the command line; the network-namespace test runs it
 * inside its namespace. Usage: node --import tsx wol-send-cli.ts MAC INTERFACE [PORT] [PASSWORD]
 */
import { WolDriver } from './wol-driver.ts';

const [mac, iface, port, password] = process.argv.slice(2);
const driver = new WolDriver({ mac, interface: iface, port: port ? Number(port) : undefined, password: password || undefined, copies: 1 });
await driver.on();
console.log(JSON.stringify(driver.destination()));
