export * from './gateway-protocol.ts';
export * from './ipv4.ts';
