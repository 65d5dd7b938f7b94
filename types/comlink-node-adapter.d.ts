// comlink ships this adapter as .mjs with a sibling .d.ts that TypeScript's NodeNext
// resolution does not pair up; this restates its one export, typed for Node's MessagePort.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  import type { MessagePort } from 'node:worker_threads';
  export default function nodeEndpoint(port: MessagePort): Endpoint;
}
