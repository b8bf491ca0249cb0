/**
 * The real {@link Transport}, like memberlist's NetTransport: UDP packets (`node:dgram`) and TCP
 * streams (`node:net`) on one address and port. With port 0 the TCP listener picks a free
 * port and UDP binds the same one (retried when UDP finds it taken, as memberlist does).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, isIPv6, type Server, type Socket } from 'node:net';
import { Emitter, ErrorCode, SidecarError, errorMessage, type Clock, type Logger } from '../../core/index.js';
import { NetStream, normalizeHost } from './net-stream.js';
import { formatPeerAddress, type IncomingPacket, type PeerAddress, type StreamConnection, type Transport } from './transport.js';

export interface NetTransportOptions {
  /** Address both sockets bind. Default `0.0.0.0` (every IPv4 interface, as the Go Sidecar). */
  readonly bindHost?: string;
  /** Port both sockets bind; 0 picks a free one (tests). */
  readonly bindPort: number;
  /** The address peers should use for us. */
  readonly advertiseHost: string;
  /** Default: the bound port. */
  readonly advertisePort?: number;
  readonly logger: Logger;
  readonly clock: Clock;
  /**
   * UDP receive buffer asked of the kernel, in bytes (it may grant less). Default 2 MiB,
   * memberlist's `udpRecvBufSize`: room for a burst of gossip while the event loop is busy.
   */
  readonly udpReceiveBufferBytes?: number;
  /** Unread bytes a stream buffers before its socket is paused. Default 1 MiB. */
  readonly streamMaxBufferedBytes?: number;
  /** Tries to find a port free for both TCP and UDP when `bindPort` is 0. Default 10 (memberlist). */
  readonly bindAttempts?: number;
  /** Least time between two logs of failed sends, in ms. Default 10 000 (a dead peer fails every probe). */
  readonly sendErrorLogIntervalMs?: number;
}

/** Traffic counters, cheap and always on. */
export interface NetTransportStats {
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
  /** Sends that failed (bad address, no route, socket closed). */
  sendErrors: number;
  /** Empty datagrams dropped on arrival. */
  emptyPackets: number;
  streamsDialed: number;
  dialsFailed: number;
  streamsAccepted: number;
  streamBytesReceived: number;
}

const DEFAULT_UDP_RECEIVE_BUFFER_BYTES = 2 * 1024 * 1024;
/** Below this we stop halving the requested UDP buffer (memberlist halves down to nothing). */
const MIN_UDP_RECEIVE_BUFFER_BYTES = 64 * 1024;

function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function bindError(proto: 'TCP' | 'UDP', host: string, port: number, err: unknown): SidecarError {
  const where = formatPeerAddress({ host, port });
  const code = errnoCode(err);
  let why: string;
  switch (code) {
    case 'EADDRINUSE':
      why = 'the port is in use (another Sidecar, a Go Sidecar or Serf?); stop it or choose another --bind-port';
      break;
    case 'EADDRNOTAVAIL':
      why = 'the address is not one of this host’s; bind to 0.0.0.0 or to an address of this host';
      break;
    case 'EACCES':
    case 'EPERM':
      why = 'permission denied (ports below 1024 need privileges); choose another --bind-port';
      break;
    default:
      why = errorMessage(err);
  }
  return new SidecarError(ErrorCode.MEMBERSHIP_BIND, `cannot bind gossip ${proto} ${where}: ${why}${code !== undefined ? ` (${code})` : ''}`, { cause: err });
}

function dialError(to: PeerAddress, why: string, cause?: unknown): SidecarError {
  return new SidecarError(ErrorCode.MEMBERSHIP_DIAL, `cannot open a stream to ${formatPeerAddress(to)}: ${why}`, cause === undefined ? undefined : { cause });
}

export class NetTransport implements Transport {
  private state: 'new' | 'starting' | 'started' | 'closed' = 'new';
  private server: Server | null = null;
  private udp: UdpSocket | null = null;
  private boundPort = 0;
  private starting: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  // A bug in a packet or stream handler is logged and survived (hostile input must not stop the agent).
  private readonly packets = new Emitter<IncomingPacket>((err, packet) =>
    this.options.logger.error({ err: errorMessage(err), from: formatPeerAddress(packet.from) }, 'packet handler failed'),
  );
  private readonly incomingStreams = new Emitter<StreamConnection>((err, stream) => {
    this.options.logger.error({ err: errorMessage(err), from: formatPeerAddress(stream.remote) }, 'stream handler failed');
    stream.destroy();
  });
  readonly onPacket = this.packets.event;
  readonly onStream = this.incomingStreams.event;
  private readonly streams = new Set<NetStream>();
  /** Cancels (rejects and destroys) each dial in progress. */
  private readonly dials = new Set<() => void>();
  private readonly counters: NetTransportStats = {
    packetsSent: 0,
    bytesSent: 0,
    packetsReceived: 0,
    bytesReceived: 0,
    sendErrors: 0,
    emptyPackets: 0,
    streamsDialed: 0,
    dialsFailed: 0,
    streamsAccepted: 0,
    streamBytesReceived: 0,
  };
  private lastSendErrorLogMs = Number.NEGATIVE_INFINITY;
  private suppressedSendErrors = 0;

  private advertised: PeerAddress | null = null;

  constructor(private readonly options: NetTransportOptions) {}

  /** Before start() the port is the configured one (possibly 0); after, the bound one unless set. */
  get advertiseAddress(): PeerAddress {
    return this.advertised ?? { host: this.options.advertiseHost, port: this.options.advertisePort ?? this.options.bindPort };
  }

  /** The port both sockets are bound to (after start). */
  get port(): number {
    return this.boundPort;
  }

  /** Open streams (to show nothing leaks). */
  get openStreams(): number {
    return this.streams.size;
  }

  stats(): Readonly<NetTransportStats> {
    return { ...this.counters };
  }

  start(): Promise<void> {
    if (this.state === 'new') {
      this.state = 'starting';
      this.starting = this.bind();
    }
    if (this.state === 'closed') {
      return Promise.reject(new SidecarError(ErrorCode.MEMBERSHIP_BIND, 'cannot start the gossip transport: it was closed (make a new one)'));
    }
    return this.starting ?? Promise.resolve();
  }

  private async bind(): Promise<void> {
    const host = this.options.bindHost ?? '0.0.0.0';
    const wanted = this.options.bindPort;
    const attempts = wanted === 0 ? Math.max(1, this.options.bindAttempts ?? 10) : 1;
    for (let attempt = 1; ; attempt++) {
      let server: Server;
      try {
        server = await this.listenTcp(host, wanted);
      } catch (err) {
        this.state = 'closed';
        throw err;
      }
      const port = (server.address() as { port: number }).port;
      try {
        this.udp = await this.bindUdp(host, port);
        this.server = server;
        this.boundPort = port;
        this.advertised = Object.freeze({ host: this.options.advertiseHost, port: this.options.advertisePort ?? port });
        break;
      } catch (err) {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        if (attempt >= attempts || errnoCode(err) !== 'EADDRINUSE') {
          this.state = 'closed';
          throw bindError('UDP', host, port, err);
        }
        this.options.logger.debug({ port, attempt }, 'UDP port taken; trying another port for TCP and UDP');
      }
    }
    // close() called while we were binding waits for us, then closes the sockets.
    if (this.state === 'closed') throw new SidecarError(ErrorCode.MEMBERSHIP_BIND, 'the gossip transport was closed while starting');
    this.state = 'started';
    this.options.logger.debug({ bind: formatPeerAddress({ host, port: this.boundPort }), advertise: formatPeerAddress(this.advertiseAddress) }, 'gossip transport listening');
  }

  sendPacket(to: PeerAddress, data: Uint8Array): void {
    const udp = this.udp;
    if (udp === null || this.state !== 'started') {
      this.sendFailed(to, new Error('the transport is not running'));
      return;
    }
    this.counters.packetsSent++;
    this.counters.bytesSent += data.length;
    try {
      udp.send(data, to.port, to.host, (err) => {
        if (err) this.sendFailed(to, err);
      });
    } catch (err) {
      // Synchronous throws: bad port, socket closed.
      this.sendFailed(to, err);
    }
  }

  dialStream(to: PeerAddress, timeoutMs: number): Promise<StreamConnection> {
    if (this.state !== 'started') return Promise.reject(dialError(to, 'the transport is closed'));
    return new Promise<StreamConnection>((resolve, reject) => {
      const clock = this.options.clock;
      let socket: Socket;
      try {
        socket = connect({ host: to.host, port: to.port, allowHalfOpen: true });
      } catch (err) {
        this.counters.dialsFailed++;
        reject(dialError(to, errorMessage(err), err));
        return;
      }
      const finish = (): void => {
        clock.clearTimeout(timer);
        this.dials.delete(cancel);
        socket.removeListener('connect', onConnect);
        socket.removeListener('error', onError);
      };
      const fail = (err: SidecarError): void => {
        finish();
        socket.destroy();
        this.counters.dialsFailed++;
        reject(err);
      };
      const onConnect = (): void => {
        finish();
        socket.setNoDelay(true);
        this.counters.streamsDialed++;
        resolve(this.track(socket, to));
      };
      const onError = (err: Error): void => fail(dialError(to, errnoCode(err) === 'ECONNREFUSED' ? 'connection refused' : errorMessage(err), err));
      const cancel = (): void => fail(dialError(to, 'the transport is closed'));
      const timer = clock.setTimeout(() => fail(dialError(to, `no connection within ${timeoutMs} ms`)), timeoutMs);
      this.dials.add(cancel);
      socket.once('connect', onConnect);
      socket.once('error', onError);
    });
  }

  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    this.state = 'closed';
    for (const cancel of [...this.dials]) cancel();
    for (const stream of [...this.streams]) stream.destroy();
    // A start() in progress finishes binding first; then its sockets are closed here.
    await this.starting?.catch(() => undefined);
    await this.closeSockets();
    this.packets.dispose();
    this.incomingStreams.dispose();
  }

  private async closeSockets(): Promise<void> {
    const { udp, server } = this;
    this.udp = null;
    this.server = null;
    await Promise.all([
      udp === null ? undefined : new Promise<void>((resolve) => udp.close(() => resolve())),
      server === null ? undefined : new Promise<void>((resolve) => server.close(() => resolve())),
    ]);
  }

  private listenTcp(host: string, port: number): Promise<Server> {
    return new Promise((resolve, reject) => {
      const server = createServer({ allowHalfOpen: true });
      const onError = (err: Error): void => reject(bindError('TCP', host, port, err));
      server.once('error', onError);
      server.listen({ host, port, exclusive: true }, () => {
        server.removeListener('error', onError);
        server.on('error', (err) => this.options.logger.warn({ err: errorMessage(err) }, 'gossip TCP listener error'));
        server.on('connection', (socket) => this.accept(socket));
        resolve(server);
      });
    });
  }

  private bindUdp(host: string, port: number): Promise<UdpSocket> {
    return new Promise((resolve, reject) => {
      const udp = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
      const onError = (err: Error): void => {
        try {
          udp.close();
        } catch {
          // Already closed by the failed bind.
        }
        reject(err);
      };
      udp.once('error', onError);
      udp.bind({ address: host, port, exclusive: true }, () => {
        udp.removeListener('error', onError);
        udp.on('error', (err) => this.options.logger.warn({ err: errorMessage(err) }, 'gossip UDP socket error'));
        udp.on('message', (msg, rinfo) => this.receive(msg, rinfo.address, rinfo.port));
        this.growReceiveBuffer(udp);
        resolve(udp);
      });
    });
  }

  /** Asks for a large receive buffer, halving on refusal; running with the default is fine. */
  private growReceiveBuffer(udp: UdpSocket): void {
    for (let size = this.options.udpReceiveBufferBytes ?? DEFAULT_UDP_RECEIVE_BUFFER_BYTES; size >= MIN_UDP_RECEIVE_BUFFER_BYTES; size = Math.floor(size / 2)) {
      try {
        udp.setRecvBufferSize(size);
        this.options.logger.debug({ requestedBytes: size, grantedBytes: udp.getRecvBufferSize() }, 'UDP receive buffer');
        return;
      } catch {
        // Try a smaller size.
      }
    }
    this.options.logger.debug('UDP receive buffer: keeping the system default');
  }

  private receive(msg: Buffer, host: string, port: number): void {
    if (this.state !== 'started') return;
    if (msg.length === 0) {
      this.counters.emptyPackets++;
      return;
    }
    this.counters.packetsReceived++;
    this.counters.bytesReceived += msg.length;
    const packet: IncomingPacket = {
      data: new Uint8Array(msg.buffer, msg.byteOffset, msg.length),
      from: { host: normalizeHost(host), port },
      receivedAtMs: this.options.clock.nowMs(),
    };
    this.packets.fire(packet);
  }

  private accept(socket: Socket): void {
    const host = socket.remoteAddress;
    const port = socket.remotePort;
    if (this.state !== 'started' || host === undefined || port === undefined) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.counters.streamsAccepted++;
    const stream = this.track(socket, { host: normalizeHost(host), port });
    this.incomingStreams.fire(stream);
  }

  private track(socket: Socket, remote: PeerAddress): NetStream {
    const stream = new NetStream(socket, remote, {
      ...(this.options.streamMaxBufferedBytes !== undefined ? { maxBufferedBytes: this.options.streamMaxBufferedBytes } : {}),
      onClosed: (s) => this.streams.delete(s),
      onError: (s, err) => this.options.logger.debug({ err: errorMessage(err), peer: formatPeerAddress(s.remote) }, 'gossip stream error'),
      onBytesReceived: (n) => (this.counters.streamBytesReceived += n),
    });
    this.streams.add(stream);
    if (this.state === 'closed') stream.destroy();
    return stream;
  }

  private sendFailed(to: PeerAddress, err: unknown): void {
    this.counters.sendErrors++;
    const nowMs = this.options.clock.nowMs();
    if (nowMs - this.lastSendErrorLogMs < (this.options.sendErrorLogIntervalMs ?? 10_000)) {
      this.suppressedSendErrors++;
      return;
    }
    this.lastSendErrorLogMs = nowMs;
    this.options.logger.debug({ to: formatPeerAddress(to), err: errorMessage(err), suppressed: this.suppressedSendErrors }, 'cannot send gossip packet');
    this.suppressedSendErrors = 0;
  }
}
