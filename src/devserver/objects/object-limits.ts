/**
 * What uploads may make the dev server hold. It is reachable by anyone who runs `npm start`,
 * so every byte a client can leave on disk, and every record it can leave in memory, is
 * bounded here.
 */

export interface ObjectLimits {
  /** Size of every part but the last (the real server's MinIO minimum is 5 MiB). */
  readonly partSize: number;
  /** The largest object. */
  readonly maxObjectBytes: number;
  /** Objects plus the declared sizes of uploads in progress, on disk at once. */
  readonly maxTotalBytes: number;
  /** Stored objects (each name that points at one counts). */
  readonly maxObjects: number;
  /** Uploads in progress, all users together / per user. */
  readonly maxUploads: number;
  readonly maxUploadsPerUser: number;
  /** An upload not completed within this is dropped with its parts. */
  readonly uploadTtlMs: number;
  /** Object names, as the real server bounds them. */
  readonly maxNameLength: number;
}

const MiB = 2 ** 20;

export const DEFAULT_OBJECT_LIMITS: ObjectLimits = {
  partSize: 5 * MiB,
  maxObjectBytes: 64 * MiB,
  maxTotalBytes: 1024 * MiB,
  maxObjects: 10_000,
  maxUploads: 64,
  maxUploadsPerUser: 8,
  uploadTtlMs: 60 * 60_000,
  maxNameLength: 1024,
};
