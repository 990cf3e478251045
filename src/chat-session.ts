// A chat session: one KV cache kept across turns. Each turn renders only what is new (with the
// model's chat template, or as plain text when it has none), prefills only those tokens,
// generates, and keeps the answer in the cache. The cache can be pruned after every turn's
// prefill (kv.phase "turn"), shifted when it reaches the context size (kv.contextShift), saved
// as bytes (save()) and restored (LLM.restore).
//
//   const s = llm.session({ system: "You are terse.", kv: { policy: "streaming", budget: 256, phase: "turn" } });
//   const r = await s.chat("Hello!");          // GenerationResult
//   for await (const piece of s.stream("And then?")) ...
//   const bytes = s.save(); s.dispose();
//   const s2 = await llm.restore(bytes);
import { eitherAborted } from "./util/abort.ts";
import type { ChatMessage } from "./tokenizer/chat.ts";
import type { KVOptions } from "./kv/options.ts";
import { checkKVType } from "./kv/kv-type.ts";
import { KVController } from "./kv/controller.ts";
import { fitTurn, runTurn, TokenSeq, type GenerateOptions, type GenerationResult, type ModelContext } from "./generate/session.ts";
import { streamOf, type GenerationStream } from "./generate/stream.ts";
import { decodeSnapshot, encodeKeyMeans, encodeSnapshot, SnapshotError, type ModelIdentity } from "./kv/snapshot.ts";

export interface SessionOptions {
  system?: string;     // the system prompt, sent with the first turn
  kv?: KVOptions;      // the cache's policy for the whole session (phase "turn": prune every turn)
}

export type ChatInput = string | ChatMessage | ChatMessage[];
export type TurnOptions = Omit<GenerateOptions, "kv" | "addBos">;

// What a session needs from its model (LLM implements it).
export interface SessionHost {
  readonly name: string;
  readonly chatTemplate: string | undefined;
  context(): ModelContext;
  identity(): ModelIdentity;
  renderChat(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string;
  encode(text: string, addBos: boolean | undefined): number[];
  // runs fn when every earlier call on this model (any session) has finished
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  yieldNow(): Promise<void> | void;
  release(s: ChatSession): void;
}

export class ChatSession {
  private kvc?: KVController;
  private seq = new TokenSeq();
  // template mode: the conversation as the template sees it, and its rendering up to and
  // including the last turn's generation prompt (the cache holds that text plus the answer)
  private messages: ChatMessage[] = [];
  private rendered = "";
  private lastAnswer: string | undefined;
  private turnsDone = 0;
  private prefilled = 0;
  private running?: AbortController;
  private state: "ok" | "disposed" | "failed" = "ok";
  private failure = "";
  readonly kv: KVOptions;
  readonly system: string | undefined;

  constructor(private readonly host: SessionHost, opts: SessionOptions = {}) {
    if (opts.system !== undefined && typeof opts.system !== "string") throw new RangeError("invalid session option system: must be a string");
    this.kv = { ...(opts.kv ?? {}) };
    KVController.check(this.kv, host.identity().headDim);     // a bad policy, type or option fails here, not at the first turn
    this.system = opts.system;
  }

  // Whether turns are rendered with the model's chat template (else: plain text turns).
  get templated(): boolean {
    return this.host.chatTemplate !== undefined;
  }

  // Turns completed, positions the cache has run, and tokens prefilled over all turns.
  get stats(): { turns: number; positions: number; prefillTokens: number; kvBytes: number; kvRows: number } {
    return { turns: this.turnsDone, positions: this.kvc?.pos ?? 0, prefillTokens: this.prefilled, kvBytes: this.kvc?.store.bytes() ?? 0, kvRows: this.kvc?.rows ?? 0 };
  }

  // Every token of the conversation (token i at position i), including one sampled but not yet run.
  get tokens(): number[] {
    return this.seq.toArray();
  }

  // One turn: the answer, with the cache kept for the next turn. Calls queue (on this session
  // and across sessions of the model).
  chat(input: ChatInput, opts: TurnOptions = {}): Promise<GenerationResult> {
    return this.turn(input, opts, () => {});
  }

  // The same turn, streamed piece by piece; the result is on `result`.
  stream(input: ChatInput, opts: TurnOptions = {}): GenerationStream {
    return streamOf((onPiece) => this.turn(input, opts, onPiece));
  }

  private turn(input: ChatInput, opts: TurnOptions, onPiece: (p: string) => void): Promise<GenerationResult> {
    this.checkUsable();
    return this.host.exclusive(async () => {
      this.checkUsable();
      const ctx = this.host.context();
      const render = this.renderTurn(input);
      const ids = this.host.encode(render.text, render.addBos);
      const nNew = this.seq.length - (this.kvc?.pos ?? 0) + ids.length;
      if (nNew === 0) throw new RangeError("the turn has no tokens (an empty message with nothing pending)");
      const kv = this.kv;
      const maxTokens = opts.maxTokens ?? 256;
      const ac = new AbortController();
      this.running = ac;
      try {
        fitTurn(ctx, this.kvc, nNew, kv.contextShift === true);
        this.seq.pushAll(ids);
        const reserve = Math.max(0, Math.min(maxTokens, ctx.contextSize - (this.kvc?.rows ?? 0) - nNew));
        if (!this.kvc) this.kvc = new KVController(ctx.rt, ctx.model, kv, this.seq.length, reserve);
        else this.kvc.beginTurn(this.seq.length, reserve);
        let r: GenerationResult;
        try {
          r = await runTurn(ctx, this.kvc, this.seq, { ...opts, kv, signal: eitherAborted(ac.signal, opts.signal) }, (piece) => { onPiece(piece); return this.host.yieldNow(); });
        } catch (e) {
          // the cache may hold part of the turn: the session cannot go on
          this.state = "failed";
          this.failure = (e as Error)?.message ?? String(e);
          this.free();
          throw e;
        }
        this.messages = render.messages;
        this.rendered = render.rendered;
        this.lastAnswer = r.text;
        this.turnsDone++;
        this.prefilled += r.stats.promptTokens;
        return r;
      } finally {
        this.running = undefined;
        if (this.state === "disposed") this.free();
      }
    });
  }

  // The text of the new turn and the conversation state after it.
  private renderTurn(input: ChatInput): { text: string; addBos: boolean | undefined; messages: ChatMessage[]; rendered: string } {
    const msgs = typeof input === "string" ? [{ role: "user", content: input }] : Array.isArray(input) ? input : [input];
    for (const m of msgs) {
      if (!m || typeof m.role !== "string" || typeof m.content !== "string") throw new RangeError("invalid chat input: expected a string, or messages { role: string, content: string }");
    }
    const first = this.turnsDone === 0;
    if (!this.templated) {
      // plain text: the contents as they are, joined by newlines (roles are not rendered); the
      // first turn starts with BOS and the system prompt on a line of its own
      const text = msgs.map((m) => m.content).join("\n");
      const sys = first && this.system ? this.system + "\n" : "";
      return { text: sys + text, addBos: first ? undefined : false, messages: [], rendered: "" };
    }
    const messages = [...this.messages];
    if (first && this.system !== undefined) messages.push({ role: "system", content: this.system });
    if (this.lastAnswer !== undefined) messages.push({ role: "assistant", content: this.lastAnswer });
    messages.push(...msgs.map((m) => ({ role: m.role, content: m.content })));
    const full = this.host.renderChat(messages, true);
    if (!full.startsWith(this.rendered)) {
      throw new Error(`the chat template of ${this.host.name} renders the earlier turns differently once a turn is added, so the cache cannot be continued; start a new session`);
    }
    let rest = full.slice(this.rendered.length);
    if (this.lastAnswer !== undefined) {
      // the cache already holds the answer the model generated: send what the template puts after it
      const a = this.lastAnswer.trim(), at = rest.indexOf(a);
      if (at < 0) throw new Error(`the chat template of ${this.host.name} does not render the last answer as given; start a new session`);
      rest = rest.slice(at + a.length);
    }
    return { text: rest, addBos: false, messages, rendered: full };
  }

  // The session as bytes: model identity, every token, the kept KV rows with their positions, the
  // options and the conversation state. LLM.restore(bytes) resumes it.
  save(): Promise<Uint8Array> {
    this.checkUsable();
    return this.host.exclusive(async () => {
      this.checkUsable();
      const kvc = this.kvc;
      const header = {
        model: this.host.identity(), kvType: kvc?.store.type ?? checkKVType(this.kv.type), seen: kvc?.pos ?? 0, tokens: this.seq.toArray(),
        session: {
          policyState: kvc?.policy.state?.save() ?? null,
          kv: this.kv, system: this.system, messages: this.messages, rendered: this.rendered, lastAnswer: this.lastAnswer,
          turnsDone: this.turnsDone, prefilled: this.prefilled, kvTurns: kvc?.turns ?? 0, nPrompt: kvc?.nPrompt ?? 0,
        },
        keyMeans: encodeKeyMeans(kvc?.store.keyMeans()),
      };
      return encodeSnapshot(header, kvc?.store.layers);
    });
  }

  // A session from save()'s bytes (LLM.restore calls this). kvType: the KV type the caller expects;
  // a session saved with another is one error (its rows are saved as stored, never converted).
  static restore(host: SessionHost, bytes: Uint8Array, kvType?: unknown): ChatSession {
    const id = host.identity();
    const { header, rows, keyMeans } = decodeSnapshot(bytes, id);
    const st = header.session as {
      kv: KVOptions; system?: string; messages: ChatMessage[]; rendered: string; lastAnswer?: string;
      turnsDone: number; prefilled: number; kvTurns: number; nPrompt: number; policyState?: unknown;
    };
    if (!st || typeof st !== "object" || !Array.isArray(st.messages) || !st.kv || typeof st.kv !== "object") throw new SnapshotError("restore: not a valid budgetkv session (no session state)");
    if (checkKVType(st.kv.type) !== header.kvType) throw new SnapshotError(`restore: not a valid budgetkv session (KV rows of type ${header.kvType} for a session of type ${checkKVType(st.kv.type)})`);
    if (kvType !== undefined && checkKVType(kvType, id.headDim) !== header.kvType) {
      throw new SnapshotError(`restore: the session's KV cache is ${header.kvType}; it cannot be restored as ${String(kvType)} (rows are saved as stored: restore it as ${header.kvType}, or start a new session to change the type)`);
    }
    const s = new ChatSession(host, { system: st.system, kv: st.kv });
    s.messages = st.messages;
    s.rendered = st.rendered;
    s.lastAnswer = st.lastAnswer ?? undefined;
    s.turnsDone = st.turnsDone;
    s.prefilled = st.prefilled;
    s.seq.pushAll(header.tokens);
    if (header.seen > 0) {
      const ctx = host.context();
      const kvc = new KVController(ctx.rt, ctx.model, s.kv, st.nPrompt, 0);
      try {
        if (rows.length !== id.nLayers) throw new SnapshotError(`restore: ${rows.length} layers of KV rows for a model of ${id.nLayers}`);
        rows.forEach((heads, l) => heads.forEach((r, h) => kvc.store.setRows(l, h, r.k, r.v, r.pos, r.wk, r.wv)));
        if (header.kvType === "q8_0") kvc.store.setKeyMeans(keyMeans);   // key rows are stored minus these (kv/store.ts)
        if (kvc.rows > ctx.contextSize) throw new SnapshotError(`restore: the session holds ${kvc.rows} KV rows, more than this model's context size ${ctx.contextSize}`);
      } catch (e) {
        kvc.dispose();
        throw e;
      }
      kvc.store.seen = header.seen;
      kvc.turns = st.kvTurns;
      if (st.policyState !== undefined && st.policyState !== null) {
        if (!kvc.policy.state) { kvc.dispose(); throw new SnapshotError(`restore: not a valid budgetkv session (policy state for KV policy "${kvc.policy.name}", which keeps none)`); }
        try {
          kvc.policy.state.restore(st.policyState);
        } catch (e) {
          kvc.dispose();
          throw new SnapshotError(`restore: not a valid budgetkv session (${(e as Error).message})`);
        }
      }
      s.kvc = kvc;
    }
    return s;
  }

  // Frees the cache. A turn in progress ends at its next token (finish reason "abort"); later
  // calls are one error.
  dispose(): void {
    if (this.state === "disposed") return;
    this.state = "disposed";
    this.host.release(this);
    if (this.running) this.running.abort();
    else this.free();
  }

  private free(): void {
    this.kvc?.dispose();
    this.kvc = undefined;
  }

  private checkUsable(): void {
    if (this.state === "disposed") throw new Error("this chat session was disposed");
    if (this.state === "failed") throw new Error(`this chat session failed during a turn (${this.failure}); start a new one`);
  }
}
