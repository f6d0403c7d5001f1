import dgram from 'node:dgram';
import { isIPv4 } from 'node:net';
import os from 'node:os';
import { formatIPv4, ipv4CidrContains, parseIPv4Cidr } from '@gatehouse/protocol';

/** The standard Wake-on-LAN port ("discard"); tests pass their own. */
export const WOL_PORT = 9;

const MAC_RE = /^([0-9a-f]{2})([:-]?)([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/i;

/** Parses `aa:bb:cc:dd:ee:ff`, `aa-bb-…` or `aabbccddeeff` into 6 bytes; throws on anything else. */
export function parseMac(mac: string): Buffer {
  const m = MAC_RE.exec(mac.trim());
  if (!m) throw new Error(`"${mac}" is not a MAC address (expected aa:bb:cc:dd:ee:ff)`);
  return Buffer.from([m[1], m[3], m[4], m[5], m[6], m[7]].join(''), 'hex');
}

/** 6 × 0xFF followed by the MAC 16 times: 102 bytes. */
export function magicPacket(mac: string): Buffer {
  const bytes = parseMac(mac);
  const packet = Buffer.alloc(6 + 16 * 6, 0xff);
  for (let i = 0; i < 16; i++) bytes.copy(packet, 6 + i * 6);
  return packet;
}

/** The directed broadcast address of a CIDR network, e.g. 192.168.2.0/24 → 192.168.2.255. */
export function broadcastOf(cidr: string): string {
  const parsed = parseIPv4Cidr(cidr);
  if (!parsed) throw new Error(`"${cidr}" is not an IPv4 CIDR`);
  return formatIPv4(parsed.broadcast);
}

/**
 * The broadcast address of the local network that contains `target`, from this host's interfaces; the
 * limited broadcast 255.255.255.255 when no interface's network contains it (it then leaves through the
 * default interface only, which is usually the LAN anyway).
 */
export function broadcastFor(target: string, interfaces = os.networkInterfaces()): string {
  if (!isIPv4(target)) return '255.255.255.255';
  for (const list of Object.values(interfaces)) {
    for (const info of list ?? []) {
      if (info.family !== 'IPv4' || info.internal || !info.cidr) continue;
      const network = parseIPv4Cidr(info.cidr);
      if (network && ipv4CidrContains(network, target)) return formatIPv4(network.broadcast);
    }
  }
  return '255.255.255.255';
}

/** Sends one magic packet from a short-lived socket that is closed whatever happens. */
export async function sendMagicPacket(opts: { mac: string; broadcast: string; port?: number }): Promise<void> {
  const packet = magicPacket(opts.mac);
  const socket = dgram.createSocket(isIPv4(opts.broadcast) ? 'udp4' : 'udp6');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, () => {
        socket.setBroadcast(true);
        socket.send(packet, opts.port ?? WOL_PORT, opts.broadcast, (err) => (err ? reject(err) : resolve()));
      });
    });
  } finally {
    socket.removeAllListeners('error');
    socket.on('error', () => {});
    socket.close();
  }
}
