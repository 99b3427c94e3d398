export * from './discovery';
export * from './entities';
export * from './announcer';
