// Real: the one name schema (src/schemas/common.ts) as the peer and gateway schemas use it. Simulated: nothing.
import { describe, expect, it } from 'vitest';
import { CreateGatewaySchema } from '../../src/schemas/gateways.ts';
import { CreatePeerSchema } from '../../src/schemas/peers.ts';

const peerName = (name: string) => CreatePeerSchema.shape.name.safeParse(name);
const gatewayName = (name: string) => CreateGatewaySchema.safeParse({ name });

describe('names of peers and gateways', () => {
  it.each([
    'alice-laptop',
    'Büro 2',
    "O'Brien's phone",
    'a',
    'ä'.repeat(64),
    '  trimmed  ',
    'x@y.z_1',
  ])('accept %j', (name) => {
    expect(peerName(name)).toMatchObject({ success: true, data: name.trim() });
    expect(gatewayName(name)).toMatchObject({ success: true, data: { name: name.trim() } });
  });

  it.each([
    ['', 'is required'],
    ['   ', 'is required'],
    ['a'.repeat(65), 'must be at most 64 characters'],
    ['-leading', 'must start with a letter or digit'],
    ['semi;colon', 'must start with a letter or digit'],
    ['tab\there', 'must start with a letter or digit'],
  ])('refuse %j with the same message', (name, message) => {
    const peer = peerName(name);
    const gateway = gatewayName(name);
    expect(peer.success).toBe(false);
    expect(gateway.success).toBe(false);
    expect(peer.error?.issues[0]?.message).toContain(message);
    expect(gateway.error?.issues.find((i) => i.path[0] === 'name')?.message).toBe(peer.error?.issues[0]?.message);
  });
});
