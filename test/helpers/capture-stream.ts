import { Writable } from 'node:stream';

/** A writable stream that keeps what is written to it (a command's stdout or stderr in a test), and its text so far. */
export function captureStream(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}
