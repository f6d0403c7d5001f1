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

// Issue 14 item 7: the OpenAPI document now carries the pattern without its JavaScript flag; the server's own
// validation must be exactly the Unicode rule it always was.
describe('the name rule is unchanged by the OpenAPI pattern fix (issue 14 item 7)', () => {
  const original = /^[\p{L}\p{N}][\p{L}\p{N} ._@'-]*$/u;
  it.each([
    'alice-laptop',
    'Büro 2',
    'Ωμέγα',
    '東京 office',
    '٣٤ peer',
    'ǅungla',
    'x@y.z_1',
    "O'Brien",
    '-leading',
    '.dot',
    'semi;colon',
    'emoji 🙂',
    'a/b',
    'a\u0301',
    'tab\there',
    'nbsp\u00a0x',
    '①',
  ])('%j gets the same verdict as the original Unicode regex', (name) => {
    const expected = name.trim().length > 0 && name.trim().length <= 64 && original.test(name.trim());
    expect(peerName(name).success).toBe(expected);
    expect(gatewayName(name).success).toBe(expected);
  });
});
