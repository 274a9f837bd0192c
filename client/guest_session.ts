// One Bootvisor debug session as the extension sees it: the custom requests it can make (screen, keys, serial
// input, reset), whether the guest runs, and a coalesced screen refresh. Everything about VS Code's views
// lives elsewhere; this class only talks DAP through vscode.DebugSession.
import * as vscode from 'vscode';
import {
  KEYS_REQUEST,
  MOUSE_REQUEST,
  RESET_REQUEST,
  SCREEN_FRAME_REQUEST,
  SERIAL_INPUT_REQUEST,
  type KeysRequestArgs,
  type MouseRequestArgs,
  type ScreenFrameArgs,
  type ScreenFrameBody,
  type ScreenFrameEventBody,
  type SerialInputArgs,
  type StatusEventBody,
} from '../common/dap-protocol';
import type { ScreenFrame } from '../common/api';
import { encodeFrame, ScreenState } from '../common/screen-wire';
import { nowMs, type KeyTrace } from '../common/key-trace';
import type { AdapterProcess } from './adapter_process';

/** The parts of a DAP message's body the session reads (stopped events, launch errors). */
interface AdapterMessageBody {
  threadId?: unknown;
  description?: unknown;
  reason?: unknown;
  error?: { format?: unknown };
}

/** A frame for the views, with the way of the key it answers when it is the first frame after one. */
export interface GuestFrame {
  frame: ScreenFrameBody;
  trace?: KeyTrace;
}

export type GuestState = 'running' | 'paused' | 'ended';

/**
 * Frames are small (a text screen is its 4,000 bytes of cells, a graphics frame the pixels that changed), so
 * they are fetched as soon as the screen changes; one request at a time, the changes meanwhile folded into
 * the next one.
 */
const MIN_FRAME_INTERVAL_MS = 0;

/** DAP requests after which the guest runs again (not every adapter sends a `continued` event). */
const RESUMING_REQUESTS = new Set(['continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue', 'goto']);

export class GuestSession implements vscode.Disposable {
  private state: GuestState = 'running';
  private threadId = 1;
  private status: StatusEventBody | undefined;
  private stopDescription = '';
  /** Why the launch failed (nasm rejected the program...), when it did: the session never ran a guest. */
  private launchFailure = '';
  private refreshing = false;
  /** The adapter answered a frame request with push set: from then on it sends every change by itself. */
  private pushing = false;
  private refreshAgain = false;
  private lastFetch = 0;
  private readonly frameEmitter = new vscode.EventEmitter<GuestFrame>();
  /** The key pressed last, until the first pushed frame after it carries its trace to the view. */
  private keyTrace: KeyTrace | undefined;
  /** The whole screen as the frames so far built it (for screenshots, and for a view opened later). */
  private readonly screen = new ScreenState();
  private readonly stateEmitter = new vscode.EventEmitter<void>();
  /** A new frame arrived from the adapter (only what changed since the previous one: apply them in order). */
  readonly onFrame = this.frameEmitter.event;
  /** Running, paused, ended, the speed or the stop reason changed. */
  readonly onStateChange = this.stateEmitter.event;

  constructor(
    readonly session: vscode.DebugSession,
    /** The adapter's process, when the extension started it: its own requests go there directly. */
    private readonly direct: () => AdapterProcess | undefined = () => undefined,
  ) {}

  /** A custom request straight to the adapter process when there is one, else through VS Code. */
  private custom(command: string, args: unknown): Thenable<unknown> {
    return this.direct()?.request(command, args) ?? this.session.customRequest(command, args);
  }

  get guestState(): GuestState {
    return this.state;
  }

  /** The thread of the last stop (DAP wants one even for a single vCPU). */
  get stoppedThread(): number {
    return this.threadId;
  }

  /** Why the guest last stopped, in the adapter's words. */
  get stopSummary(): string {
    return this.stopDescription;
  }

  /** The whole screen now, as one frame from which a view starts. */
  get wholeFrame(): ScreenFrameBody | undefined {
    const frame = this.screen.frame;
    return frame ? encodeFrame(frame, this.screen.lines) : undefined;
  }

  /** The whole screen now, for the renderer (a screenshot). */
  get screenFrame(): ScreenFrame | undefined {
    return this.screen.frame;
  }

  get backendStatus(): StatusEventBody | undefined {
    return this.status;
  }

  /** One line for the toolbar and the status bar's tooltip. */
  describe(): string {
    if (this.state === 'ended') return this.launchFailure ? `Launch failed: ${this.launchFailure}` : 'Session ended';
    const backend = this.status ? `${this.status.backend} backend` : 'starting';
    if (this.state === 'paused') return `${backend} · paused${this.stopDescription ? `: ${this.stopDescription}` : ''}`;
    return this.status ? `${backend} · ${formatSpeed(this.status.instructionsPerSecond)}` : backend;
  }

  /** Every message the adapter sends, seen through a DebugAdapterTracker. */
  onAdapterMessage(message: {
    type?: string;
    event?: string;
    command?: string;
    success?: boolean;
    message?: string;
    body?: AdapterMessageBody;
  }): void {
    if (message.type === 'event' && message.event === 'stopped') {
      if (typeof message.body?.threadId === 'number') this.threadId = message.body.threadId;
      this.stopDescription = String(message.body?.description ?? message.body?.reason ?? '');
      this.setState('paused');
      // Every stop redraws, a single step included: the step may have written to video memory.
      this.refreshScreen();
    } else if (message.type === 'event' && message.event === 'continued') {
      this.setState('running');
    } else if (message.type === 'event' && (message.event === 'terminated' || message.event === 'exited')) {
      // The guest's last words (a halt right after printing): ask now, at once, because this request still
      // reaches the adapter before the disconnect that VS Code sends on seeing this event.
      if (this.state !== 'ended') this.finalRefresh();
      this.setState('ended');
    } else if (message.type === 'response' && message.command === 'launch' && message.success === false) {
      // No `terminated` may follow a failed launch: without this the toolbar and status bar stay at "starting".
      this.launchFailure = String(message.body?.error?.format ?? message.message ?? 'the adapter gave no reason').split(
        '\n',
      )[0];
      this.setState('ended');
    } else if (message.type === 'response' && message.success && RESUMING_REQUESTS.has(message.command ?? '')) {
      this.setState('running');
    }
  }

  /**
   * A frame the adapter pushed as the guest changed the screen: applied at once (no request between a key and
   * its pixels). One built on another frame than the one held, or arriving while a request is out, is
   * covered by asking for the screen instead.
   */
  onScreenChanged(): void {
    // Until the adapter has answered a frame request (which asks it to push), changes are fetched.
    if (!this.pushing) this.refreshScreen();
  }

  onPushedFrame(body: ScreenFrameEventBody): void {
    if (this.state === 'ended') return;
    const { baseGeneration, ...frame } = body;
    if (this.refreshing || (baseGeneration !== undefined && baseGeneration !== this.screen.generation)) {
      this.refreshScreen();
      return;
    }
    if (!this.screen.apply(frame)) {
      this.refreshScreen();
      return;
    }
    const { trace: adapter, ...shown } = frame;
    let trace: KeyTrace | undefined;
    if (adapter && this.keyTrace) {
      trace = { ...this.keyTrace, adapter, hostFrameAt: nowMs() };
      this.keyTrace = undefined;
    }
    this.frameEmitter.fire({ frame: shown, trace });
  }

  /** A key the view sent (keydownAt: the view's own stamp): the next pushed frame carries its trace. */
  noteKey(keydownAt: number | undefined): void {
    this.keyTrace = { keydownAt, hostKeyAt: nowMs() };
  }

  onStatus(status: StatusEventBody): void {
    // Only the speed: whether the guest runs is told by stopped/continued events, which a late status must not undo.
    this.status = status;
    this.stateEmitter.fire();
  }

  ended(): void {
    this.setState('ended');
  }

  /**
   * Asks for the screen; a request arriving while one is out is folded into one more after it, and frames
   * are at most ~30 a second (a 720x400 frame is 1.5 MB of base64 on its way through DAP).
   */
  refreshScreen(): void {
    if (this.state === 'ended') return;
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    const wait = this.lastFetch + MIN_FRAME_INTERVAL_MS - Date.now();
    if (wait > 0) {
      setTimeout(() => {
        this.refreshing = false;
        this.refreshScreen();
      }, wait);
      return;
    }
    this.lastFetch = Date.now();
    void this.fetchFrame()
      .then((frame) => frame && this.frameEmitter.fire({ frame }))
      .finally(() => {
        this.refreshing = false;
        if (this.refreshAgain) {
          this.refreshAgain = false;
          this.refreshScreen();
        }
      });
  }

  private finalRefresh(): void {
    void this.fetchFrame().then((frame) => frame && this.frameEmitter.fire({ frame }));
  }

  /**
   * What changed on the screen since the frame held (the whole screen the first time, or when a change
   * cannot be applied to what is held). Undefined when the adapter did not answer.
   */
  private async fetchFrame(): Promise<ScreenFrameBody | undefined> {
    const ask = (sinceGeneration: number | undefined): Thenable<ScreenFrameBody | undefined> =>
      this.custom(SCREEN_FRAME_REQUEST, { sinceGeneration, push: true } satisfies ScreenFrameArgs).then(
        (body) => body as ScreenFrameBody,
        () => undefined,
      );
    // The session may be ending, or the guest not started yet: a missing answer is retried on the next event or stop.
    const since = this.screen.generation;
    const frame = await ask(since);
    if (!frame) return undefined;
    this.pushing = true;
    if (this.screen.apply(frame)) return frame;
    if (since === undefined) return undefined;
    this.screen.forget();
    const whole = await ask(undefined);
    return whole && this.screen.apply(whole) ? whole : undefined;
  }

  async sendScanCodes(scanCodes: number[]): Promise<void> {
    if (this.state === 'ended' || scanCodes.length === 0) return;
    if (this.keyTrace && this.keyTrace.keysSentAt === undefined) this.keyTrace.keysSentAt = nowMs();
    await this.custom(KEYS_REQUEST, { scanCodes } satisfies KeysRequestArgs);
  }

  async sendMouse(dx: number, dy: number, buttons: number): Promise<void> {
    if (this.state === 'ended') return;
    await this.custom(MOUSE_REQUEST, { dx, dy, buttons } satisfies MouseRequestArgs);
  }

  async sendSerial(data: Uint8Array): Promise<void> {
    if (this.state === 'ended') return;
    await this.session.customRequest(SERIAL_INPUT_REQUEST, {
      data: Buffer.from(data).toString('base64'),
    } satisfies SerialInputArgs);
  }

  async pause(): Promise<void> {
    await this.session.customRequest('pause', { threadId: this.threadId });
  }

  async resume(): Promise<void> {
    // Through the workbench when it can: a bare DAP continue would leave the Call Stack showing a stale stop.
    if (vscode.debug.activeDebugSession?.id === this.session.id) {
      await vscode.commands.executeCommand('workbench.action.debug.continue');
    } else {
      await this.session.customRequest('continue', { threadId: this.threadId });
    }
    this.setState('running');
  }

  async reset(): Promise<void> {
    await this.session.customRequest(RESET_REQUEST, {});
    this.refreshScreen();
  }

  dispose(): void {
    this.frameEmitter.dispose();
    this.stateEmitter.dispose();
  }

  private setState(state: GuestState): void {
    if (this.state === 'ended') return;
    this.state = state;
    this.stateEmitter.fire();
  }
}

export function formatSpeed(instructionsPerSecond: number): string {
  if (!instructionsPerSecond) return 'running';
  if (instructionsPerSecond >= 1e9) return `${(instructionsPerSecond / 1e9).toFixed(2)} GIPS`;
  if (instructionsPerSecond >= 1e6) return `${(instructionsPerSecond / 1e6).toFixed(1)} MIPS`;
  return `${(instructionsPerSecond / 1e3).toFixed(0)} KIPS`;
}
