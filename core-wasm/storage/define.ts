/**
 * One storage function: its parameters (as the core passes them), what it returns, and
 * whether it writes. The bridge does the rest (argument checks, transaction, envelope).
 */
import type { StorageContext } from './context.ts';
import type { ReturnKind } from './envelope.ts';
import type { Param, ParamValues } from './params.ts';

/** P0: seen during login/sync/send/receive; P1: has call sites; P2: in the interface, never called. */
export type Tier = 'P0' | 'P1' | 'P2';

/** What `run` returns for each kind; `obj` returns undefined for "no such row" (10002). */
export interface ResultByKind {
  obj: string | undefined;
  list: string;
  ids: string;
  num: number;
  bool: boolean;
  void: void;
  bytes: Uint8Array;
}

export interface StorageFunction {
  readonly tier: Tier;
  readonly params: readonly Param[];
  readonly returns: ReturnKind;
  /** Writes run in BEGIN IMMEDIATE, reads in a deferred transaction. */
  readonly writes: boolean;
  /** False for the upload-file helpers, which work without the database. */
  readonly usesDatabase: boolean;
  run(ctx: StorageContext, args: readonly unknown[]): unknown;
}

interface Spec<P extends readonly Param[], R extends ReturnKind> {
  tier: Tier;
  params: P;
  returns: R;
  writes?: boolean;
  usesDatabase?: boolean;
  run(ctx: StorageContext, ...args: ParamValues<P>): ResultByKind[R];
}

export function define<const P extends readonly Param[], R extends ReturnKind>(spec: Spec<P, R>): StorageFunction {
  return {
    tier: spec.tier,
    params: spec.params,
    returns: spec.returns,
    writes: spec.writes ?? false,
    usesDatabase: spec.usesDatabase ?? true,
    // decodeArgs has checked every argument against `params`, so the tuple has this type.
    run: (ctx, args) => spec.run(ctx, ...(args as ParamValues<P>)),
  };
}

export type FunctionTable = Readonly<Record<string, StorageFunction>>;
