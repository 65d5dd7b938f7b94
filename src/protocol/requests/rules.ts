/**
 * The shapes of the request table (table.ts) and of what planning a request yields: a
 * parameter spec per client item, a rule per request name, a plan per request.
 */
/** What a client item must be. `json` is a string item holding JSON text. */
export type ParamType = 'string' | 'int' | 'number' | 'bool' | 'json';

/** Values that may reach a core from the table: Go string, int/float and bool params. */
export type CoreArg = string | number | boolean;

export interface ParamSpec {
  /** The client's name for it, for error messages. */
  readonly name: string;
  readonly type: ParamType;
  /**
   * For `json`: what the text must hold. JSON `null` passes for arrays (Go reads it as an
   * empty slice) but not for objects (a nil struct pointer panics inside the core).
   */
  readonly json?: 'array' | 'object';
  readonly nonEmpty?: boolean;
  /** The item may be left off (trailing items only): older clients sent fewer. */
  readonly whenMissing?: CoreArg;
  /** What an item of `null` becomes: the client turns an omitted optional into null. */
  readonly whenNull?: CoreArg;
  /** For `json`: "" passes as is (sync-style cores read it as an empty value). */
  readonly emptyAllowed?: boolean;
  /** For `json`: an object item is stringified instead of rejected. */
  readonly objectStringified?: boolean;
  /** For `json` arrays: a string that is not such JSON is one ID, sent as `[id]`. */
  readonly bareStringAsList?: boolean;
  /** For `int`: the range the core can hold (Go decodes into a fixed-size field). */
  readonly range?: readonly [min: number, max: number];
}

export interface Identity {
  /** From the handshake: the only userID the gateway trusts. */
  readonly userID: string;
  readonly platformID: number;
}

/** Core arguments built from the checked items, or what is wrong with them. */
export type Built = CoreArg[] | { readonly problem: string };

/** Reshapes of a core result into what client 3.5.2 expects (docs/client-protocol.md#version-bridging). */
export type ResultShape = 'fullUserItems' | 'fullUserItemsWithCache';

/**
 * Another core call whose result a reshape needs (the 3.8 core spreads over several
 * functions what one 3.5 call answered). Made alongside the main call; one that fails
 * leaves its part of the answer empty instead of failing the request.
 */
export interface CompanionCall {
  readonly fn: string;
  readonly args: CoreArg[];
}

interface WithParams {
  /** The client's positional items, in order. */
  readonly params: readonly ParamSpec[];
}

export type RequestRule =
  | (WithParams & {
      /** Handled by the session manager; the table only checks the arguments. */
      readonly kind: 'session';
      readonly fn: SessionFunction;
      readonly check?: (args: readonly CoreArg[], identity: Identity) => string | undefined;
    })
  | (WithParams & {
      /** Answered by the gateway without the core. */
      readonly kind: 'local';
      readonly answer: (args: readonly CoreArg[], identity: Identity) => string;
    })
  | (WithParams & {
      readonly kind: 'core';
      /** The core's JS global. */
      readonly fn: string;
      /** Core arguments (after operationID) when they differ from the checked items. */
      readonly toCore?: (args: readonly CoreArg[]) => Built;
      readonly reshape?: ResultShape;
      /** From the checked items: the companion calls, in the order the reshape reads them. */
      readonly companions?: (args: readonly CoreArg[]) => CompanionCall[];
    })
  | {
      /** Listed by the client but never sent by it: it does these itself. */
      readonly kind: 'client-only';
      readonly reason: string;
    };

export type RequestPlan = SessionPlan | LocalPlan | CorePlan;

/** What the session itself does: its login state, and the background status its sockets share. */
export type SessionFunction = 'login' | 'logout' | 'setAppBackgroundStatus';

export interface SessionPlan {
  readonly kind: 'session';
  readonly reqFuncName: string;
  readonly fn: SessionFunction;
  /** Checked: `[userID, token]` for login (userID equal to the handshake's), `[]` for logout, `[hidden]`. */
  readonly args: CoreArg[];
}

export interface LocalPlan {
  readonly kind: 'local';
  readonly reqFuncName: string;
  /** The response `data`. */
  readonly data: string;
}

export interface CorePlan {
  readonly kind: 'core';
  readonly reqFuncName: string;
  readonly fn: string;
  readonly args: unknown[];
  /** Sync-style globals resolve an array (`[result]`, `[""]` on failure) instead of JSON text. */
  readonly style: 'async' | 'sync';
  readonly reshape?: ResultShape;
  readonly companions?: readonly CompanionCall[];
  /** Not a table row: a function of the loaded core called by its own name. */
  readonly passThrough: boolean;
}
