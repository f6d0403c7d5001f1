export * from './gateway-protocol.ts';
export * from './ipv4.ts';
export * from './target-address.ts';
