export * from './admin-sessions.ts';
export * from './admin-users.ts';
export * from './api-tokens.ts';
export * from './audit-log.ts';
export * from './peers.ts';
export * from './routes.ts';
export * from './settings.ts';
