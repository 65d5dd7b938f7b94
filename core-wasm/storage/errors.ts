/**
 * How a storage call fails, as the core's Go side sees it. Go maps errCode 10002 to
 * `errs.ErrRecordNotFound` (it branches on that: insert-vs-update, fresh install, first
 * sync) and turns every other non-zero code into an error carrying errMsg.
 */

export const STORAGE_ERR = {
  /** Any failure that is not "not found": SQL errors, bad arguments, database not open. */
  failed: 10001,
  /** A single-row getter found no row. */
  notFound: 10002,
} as const;

/** A failure whose message is safe and meaningful to hand to the core as errMsg. */
export class StorageError extends Error {
  override readonly name = 'StorageError';
}
