import { judgeIp } from '@gatehouse/protocol';

/**
 * Forwarded traffic comes from Caddy on the server, through the tunnel, so its source is the server's tunnel
 * address. Anything else reached the forwarding port directly (a VPN peer, a LAN host) and skipped the route's
 * ACL, IP filter and login. `serverAddress` undefined or null: an older server that does not send it (nothing
 * to compare with, every source is accepted as before).
 */
export function allowedSource(address: string | undefined, serverAddress: string | null | undefined): boolean {
  if (!serverAddress) return true;
  if (!address) return false;
  const from = judgeIp(address)?.address;
  return from !== undefined && from === judgeIp(serverAddress)?.address;
}
