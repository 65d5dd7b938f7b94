/**
 * The core's local database on SQLite. Per core:
 *
 *   const storage = createStorageBridge({ dataDir, userID, platformID, logger });
 *   CoreInstance.start({ …, globals: storage.globals, onExit: () => storage.close() });
 *
 * and `closeAllStorageBridges()` when the worker shuts down.
 */
export { closeAllStorageBridges, createStorageBridge, storageFunctionNames } from './bridge.ts';
export type { StorageBridge, StorageBridgeOptions, StorageGlobal } from './bridge.ts';
export { functionTiers } from './catalogue.ts';
