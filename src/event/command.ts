// A cloud-to-device command as Drogue delivers it over HTTP: the answer to a POST with
// `ct=N` is 200 with header `command: NAME` and the raw payload as its body.

export interface Command {
  name: string;
  payload: Buffer;
}
