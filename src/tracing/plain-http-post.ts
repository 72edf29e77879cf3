/**
 * HTTP/1.1 POSTs to a plain-http receiver over kept-alive sockets, without
 * node:http's client. In Lambda the export is on every invocation's path and
 * the first ones are paid in the cold start, where Node compiles each of its
 * own functions at first call (the bootstrap's --expose-gc turns Node's code
 * cache of its built-ins off): a first POST through node:http's client took
 * 7-9 ms on Node 24 under the bootstrap's flags, through a socket 3-4 ms; the
 * second 2.3 against 1 ms. What the export needs of HTTP is small: one
 * request with a known length, a status line, and a body to read past
 * (Content-Length, chunked, or until close). Anything else (https, a proxy,
 * a header Node would refuse) stays with node:http (otlp-transport.ts).
 */
import type * as net from 'node:net';

export interface PostTarget {
  host: string;
  port: number;
  /** Path and query string. */
  path: string;
}

export type PostOutcome =
  | { status: number }
  /** The connection failed (Node's error code and message; closed before an answer, as node:http says it); `reused`: on a kept-alive socket. */
  | { code?: string; message: string; reused: boolean }
  | { timeout: true };

export interface PostOptions {
  headers: Readonly<Record<string, string>>;
  body: Uint8Array;
  timeoutMs: number;
  /** The request may not keep the process alive. */
  background: boolean;
  /** Once the request is handed to the operating system (or failed before). */
  onWritten(): void;
  /** A larger answer is not read to its end; the socket is closed. */
  maxResponseBytes: number;
}

// What node:http accepts: RFC 9110 token characters in a name; tab, visible characters, space and
// obs-text in a value (no CR, LF, NUL or other control characters).
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Whether these headers can be written as they are (node:http refuses the others, and reports why). */
export function writableHeaders(headers: Readonly<Record<string, string>>): boolean {
  return Object.entries(headers).every(([name, value]) => HEADER_NAME.test(name) && HEADER_VALUE.test(value));
}

type Connect = (port: number, host: string) => net.Socket;

export class PlainHttpPoster {
  private readonly idle: net.Socket[] = [];
  private readonly open = new Set<net.Socket>();
  private readonly hostHeader: string;
  private readonly connectHost: string;

  constructor(
    private readonly target: PostTarget,
    private readonly connect: Connect,
  ) {
    // URL keeps an IPv6 literal's brackets, which Host wants and connect() does not.
    this.connectHost = target.host.replace(/^\[(.*)\]$/, '$1');
    this.hostHeader = target.port === 80 ? target.host : `${target.host}:${target.port}`;
  }

  post(options: PostOptions): Promise<PostOutcome> {
    const reusedSocket = this.idle.pop();
    const reused = reusedSocket !== undefined;
    const socket = reusedSocket ?? this.newSocket();
    return new Promise((resolve) => {
      let settled = false;
      let bodyWritten = false;
      const reader = new ResponseReader(options.maxResponseBytes);
      const done = (outcome: PostOutcome, keep: boolean): void => {
        if (settled) return;
        settled = true;
        socket.removeListener('data', onData);
        socket.removeListener('error', onError);
        socket.removeListener('close', onClose);
        socket.removeListener('timeout', onTimeout);
        socket.setTimeout(0);
        options.onWritten();
        // An answer ahead of the end of our request leaves the connection in an unknown state.
        if (keep && bodyWritten && !socket.destroyed) {
          socket.unref();
          this.idle.push(socket);
        } else socket.destroy();
        resolve(outcome);
      };
      const onData = (chunk: Buffer): void => {
        const result = reader.push(chunk);
        if (result === 'more') return;
        if (result === 'bad') done({ message: 'the answer is not HTTP/1.1', reused: false }, false);
        else done({ status: result.status }, result.keepAlive);
      };
      const onError = (error: Error & { code?: unknown }): void => done({ code: typeof error.code === 'string' ? error.code : undefined, message: error.message, reused }, false);
      const onClose = (): void => {
        const answered = reader.closed();
        done(answered !== undefined ? { status: answered } : { code: 'ECONNRESET', message: 'socket hang up', reused }, false);
      };
      const onTimeout = (): void => done({ timeout: true }, false);
      socket.on('data', onData);
      socket.on('error', onError);
      socket.on('close', onClose);
      socket.on('timeout', onTimeout);
      socket.setTimeout(options.timeoutMs);
      if (options.background) socket.unref();
      else socket.ref();
      let head = `POST ${this.target.path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\nConnection: keep-alive\r\n`;
      for (const [name, value] of Object.entries(options.headers)) head += `${name}: ${value}\r\n`;
      socket.write(`${head}\r\n`, 'latin1');
      socket.write(options.body, (error) => {
        if (error) return;
        bodyWritten = true;
        options.onWritten();
      });
    });
  }

  /** Destroys every socket; requests in flight fail at once. */
  close(): void {
    for (const socket of this.open) socket.destroy();
    this.idle.length = 0;
  }

  private newSocket(): net.Socket {
    const socket = this.connect(this.target.port, this.connectHost);
    socket.setNoDelay(true);
    this.open.add(socket);
    // An idle socket the receiver closes leaves the pool; its errors have no request to fail.
    const forget = (): void => {
      this.open.delete(socket);
      const at = this.idle.indexOf(socket);
      if (at >= 0) this.idle.splice(at, 1);
    };
    socket.on('close', forget);
    socket.on('error', () => {});
    return socket;
  }
}

/**
 * Reads one HTTP/1.1 response: the status, then past the body. Returns 'more'
 * until the response is complete, 'bad' for what is not HTTP/1.x.
 */
export class ResponseReader {
  private head = '';
  private status = 0;
  private keepAlive = true;
  private bodyLeft = -1;
  private chunked = false;
  private chunkBuffer = '';
  private read = 0;
  private headDone = false;
  private untilClose = false;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): 'more' | 'bad' | { status: number; keepAlive: boolean } {
    let rest: string;
    if (!this.headDone) {
      this.head += chunk.toString('latin1');
      const end = this.head.indexOf('\r\n\r\n');
      if (end < 0) return this.head.length > this.maxBytes ? 'bad' : 'more';
      const parsed = this.parseHead(this.head.slice(0, end));
      if (parsed === 'bad') return 'bad';
      rest = this.head.slice(end + 4);
      this.headDone = true;
      // 1xx answers precede the real one.
      if (this.status < 200) {
        Object.assign(this, new ResponseReader(this.maxBytes));
        return rest.length > 0 ? this.push(Buffer.from(rest, 'latin1')) : 'more';
      }
      if (this.status === 204 || this.status === 304) return { status: this.status, keepAlive: this.keepAlive };
    } else rest = chunk.toString('latin1');
    // Too large to be an OTLP answer: the status is enough, the connection is not kept.
    this.read += rest.length;
    if (this.read > this.maxBytes) return { status: this.status, keepAlive: false };
    if (this.untilClose) return 'more';
    if (this.chunked) return this.readChunks(rest);
    this.bodyLeft -= rest.length;
    return this.bodyLeft > 0 ? 'more' : { status: this.status, keepAlive: this.keepAlive && this.bodyLeft === 0 };
  }

  /** The connection closed: the status when that completes the response (a body read until close). */
  closed(): number | undefined {
    return this.headDone && this.untilClose ? this.status : undefined;
  }

  private parseHead(text: string): 'ok' | 'bad' {
    const lines = text.split('\r\n');
    const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0] ?? '');
    if (statusLine === null) return 'bad';
    this.status = Number(statusLine[2]);
    this.keepAlive = statusLine[1] === '1';
    let length: number | undefined;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line
        .slice(colon + 1)
        .trim()
        .toLowerCase();
      if (name === 'content-length') length = /^\d+$/.test(value) ? Number(value) : NaN;
      else if (name === 'transfer-encoding') this.chunked = value.split(',').at(-1)?.trim() === 'chunked';
      else if (name === 'connection') {
        const tokens = value.split(',').map((token) => token.trim());
        if (tokens.includes('close')) this.keepAlive = false;
        else if (tokens.includes('keep-alive')) this.keepAlive = true;
      }
    }
    if (length !== undefined && Number.isNaN(length)) return 'bad';
    // These carry no body, whatever their headers say.
    if (this.status < 200 || this.status === 204 || this.status === 304) return 'ok';
    if (!this.chunked) {
      if (length === undefined) {
        this.untilClose = true;
        this.keepAlive = false;
      } else this.bodyLeft = length;
    }
    return 'ok';
  }

  /** Chunked body: size line, data, CRLF; a zero size, trailers and an empty line end it. */
  private readChunks(data: string): 'more' | 'bad' | { status: number; keepAlive: boolean } {
    this.chunkBuffer += data;
    for (;;) {
      if (this.bodyLeft > 0) {
        // Data and its CRLF.
        if (this.chunkBuffer.length < this.bodyLeft + 2) return 'more';
        this.chunkBuffer = this.chunkBuffer.slice(this.bodyLeft + 2);
        this.bodyLeft = -1;
        continue;
      }
      if (this.bodyLeft === 0) {
        // Trailers until an empty line.
        const end = this.chunkBuffer.indexOf('\r\n');
        if (end < 0) return 'more';
        const line = this.chunkBuffer.slice(0, end);
        this.chunkBuffer = this.chunkBuffer.slice(end + 2);
        if (line === '') return { status: this.status, keepAlive: this.keepAlive && this.chunkBuffer.length === 0 };
        continue;
      }
      const end = this.chunkBuffer.indexOf('\r\n');
      if (end < 0) return 'more';
      const size = /^([0-9a-fA-F]+)(?:;.*)?$/.exec(this.chunkBuffer.slice(0, end).trim());
      if (size === null) return 'bad';
      this.chunkBuffer = this.chunkBuffer.slice(end + 2);
      this.bodyLeft = parseInt(size[1] as string, 16);
    }
  }
}
