// The lazily loaded part of the Cove agent runtime: web APIs most agents
// never touch. prelude.js loads it the first time an agent reads one of these
// globals, so that every call does not pay for deserialising them. The
// script's value is the factory, which the host hands to the runtime.
(function (core) {
  "use strict";
  const { host, def, b64encode, b64decode, utf8encode, utf8decode, toU8, setTimeout, $used } = core;
  class DOMException extends Error {
    constructor(message = "", name = "Error") { super(message); this.name = name; }
    get code() { return 0; }
  }

  class TextEncoder {
    get encoding() { return "utf-8"; }
    encode(input = "") { return utf8encode(input); }
    encodeInto(src, dest) {
      const b = utf8encode(src);
      const n = Math.min(b.length, dest.length);
      dest.set(b.subarray(0, n));
      return { read: n === b.length ? String(src).length : undefined, written: n };
    }
  }

  class TextDecoder {
    constructor(label = "utf-8", options = {}) {
      const l = String(label).trim().toLowerCase();
      if (l !== "utf-8" && l !== "utf8" && l !== "unicode-1-1-utf-8") throw new RangeError(`TextDecoder: unsupported encoding "${label}" (only utf-8)`);
      this._fatal = !!options.fatal;
      this._ignoreBOM = !!options.ignoreBOM;
    }
    get encoding() { return "utf-8"; }
    get fatal() { return this._fatal; }
    get ignoreBOM() { return this._ignoreBOM; }
    decode(input) {
      if (input === undefined) return "";
      let u8 = toU8(input);
      if (!this._ignoreBOM && u8.length >= 3 && u8[0] === 0xef && u8[1] === 0xbb && u8[2] === 0xbf) u8 = u8.subarray(3);
      return utf8decode(u8, this._fatal);
    }
  }

  // ---------- events and abort ----------
  class Event {
    constructor(type, init = {}) { this.type = String(type); this.bubbles = !!init.bubbles; this.cancelable = !!init.cancelable; this.defaultPrevented = false; this.timeStamp = Date.now(); }
    preventDefault() { if (this.cancelable) this.defaultPrevented = true; }
    stopPropagation() {}
    stopImmediatePropagation() { this._stop = true; }
  }
  class EventTarget {
    constructor() { def(this, "_listeners", new Map()); }
    addEventListener(type, fn, opts) {
      if (!fn) return;
      const list = this._listeners.get(type) || [];
      if (list.some((l) => l.fn === fn)) return;
      list.push({ fn, once: !!(opts && typeof opts === "object" && opts.once) });
      this._listeners.set(type, list);
    }
    removeEventListener(type, fn) {
      const list = this._listeners.get(type);
      if (list) this._listeners.set(type, list.filter((l) => l.fn !== fn));
    }
    dispatchEvent(ev) {
      def(ev, "target", this); def(ev, "currentTarget", this);
      const handler = this["on" + ev.type];
      if (typeof handler === "function") handler.call(this, ev);
      for (const l of (this._listeners.get(ev.type) || []).slice()) {
        if (l.once) this.removeEventListener(ev.type, l.fn);
        if (typeof l.fn === "function") l.fn.call(this, ev); else if (l.fn && typeof l.fn.handleEvent === "function") l.fn.handleEvent(ev);
        if (ev._stop) break;
      }
      return !ev.defaultPrevented;
    }
  }
  class AbortSignal extends EventTarget {
    constructor() { super(); this.aborted = false; this.reason = undefined; this.onabort = null; }
    throwIfAborted() { if (this.aborted) throw this.reason; }
    static abort(reason) { const c = new AbortController(); c.abort(reason); return c.signal; }
    static timeout(ms) {
      const c = new AbortController();
      setTimeout(() => c.abort(new DOMException("The operation timed out.", "TimeoutError")), ms);
      return c.signal;
    }
    static any(signals) {
      const c = new AbortController();
      for (const s of signals) {
        if (s.aborted) { c.abort(s.reason); break; }
        s.addEventListener("abort", () => c.abort(s.reason), { once: true });
      }
      return c.signal;
    }
  }
  class AbortController {
    constructor() { this.signal = new AbortSignal(); }
    abort(reason) {
      const s = this.signal;
      if (s.aborted) return;
      s.aborted = true;
      s.reason = reason === undefined ? new DOMException("This operation was aborted", "AbortError") : reason;
      s.dispatchEvent(new Event("abort"));
    }
  }

  class Blob {
    constructor(parts = [], opts = {}) {
      const chunks = [];
      for (const p of parts) {
        if (p instanceof Blob) chunks.push(p._b);
        else if (typeof p === "string") chunks.push(utf8encode(p));
        else chunks.push(toU8(p).slice());
      }
      let n = 0; for (const c of chunks) n += c.length;
      const b = new Uint8Array(n); let o = 0; for (const c of chunks) { b.set(c, o); o += c.length; }
      def(this, "_b", b);
      this.type = opts.type ? String(opts.type).toLowerCase() : "";
    }
    get size() { return this._b.length; }
    async text() { return utf8decode(this._b, false); }
    async arrayBuffer() { return this._b.slice().buffer; }
    async bytes() { return this._b.slice(); }
    slice(start = 0, end = this._b.length, type = "") { return new Blob([this._b.slice(start, end)], { type }); }
  }

  // A ReadableStream with a default reader: enough for code that reads
  // response.body with a reader or for await, cancels it (Hono's etag()),
  // tees it, pipes it (pipeTo, pipeThrough), or builds one with
  // start/pull/cancel. A Response made from a stream is read to its end
  // before it is sent (Cove signs whole bodies). Strings and buffers become
  // bytes when the stream is a body; other chunks pass as they are. There
  // are no BYOB readers, and queues have no backpressure (a high-water mark
  // of 1: desiredSize says when one is waiting, nothing blocks).
  class ReadableStream {
    constructor(source = {}) {
      if (source === null || typeof source !== "object") throw new TypeError("ReadableStream: the underlying source must be an object");
      def(this, "_chunks", []);
      def(this, "_closed", false);
      def(this, "_errored", false);
      def(this, "_error", undefined);
      def(this, "_reader", null);
      def(this, "_waiters", []);
      def(this, "_source", source);
      def(this, "_owner", null); // the Request or Response whose body this is
      const s = this;
      const ctl = {
        enqueue(c) {
          if (s._closed) throw new TypeError("ReadableStream: cannot enqueue after the stream is closed");
          s._chunks.push(c); s._wake();
        },
        close() {
          if (s._closed) throw new TypeError("ReadableStream: the stream is already closed");
          s._closed = true; s._wake();
        },
        error(e) { if (!s._closed || s._chunks.length) { s._errored = true; s._error = e; s._closed = true; s._chunks.length = 0; s._wake(); } },
        get desiredSize() { return s._errored ? null : s._closed ? 0 : 1 - s._chunks.length; },
      };
      def(this, "_ctl", ctl);
      def(this, "_started", Promise.resolve(source.start ? source.start(ctl) : undefined));
      def(this, "_pulling", false);
    }
    _wake() { const w = this._waiters.splice(0); for (const f of w) f(); }
    _disturb() { if (this._owner) this._owner[$used] = true; }
    _drainSync() {
      const parts = this._chunks.map((c) => typeof c === "string" ? utf8encode(c) : toU8(c));
      let n = 0; for (const c of parts) n += c.length;
      const b = new Uint8Array(n); let o = 0; for (const c of parts) { b.set(c, o); o += c.length; }
      this._chunks.length = 0;
      this._disturb();
      return b;
    }
    async _read() {
      await this._started;
      for (;;) {
        if (this._errored) throw this._error;
        if (this._chunks.length) return { done: false, value: this._chunks.shift() };
        if (this._closed) return { done: true, value: undefined };
        if (this._source.pull && !this._pulling) {
          this._pulling = true;
          try { await this._source.pull(this._ctl); } catch (e) { this._ctl.error(e); } finally { this._pulling = false; }
          continue;
        }
        // Nothing queued and pull has run: wait for enqueue, close or error.
        await new Promise((resolve) => this._waiters.push(resolve));
      }
    }
    _cancel(reason) {
      this._disturb();
      if (this._errored) return Promise.reject(this._error);
      const wasClosed = this._closed;
      this._chunks.length = 0;
      this._closed = true;
      this._wake();
      if (wasClosed || typeof this._source.cancel !== "function") return Promise.resolve();
      try { return Promise.resolve(this._source.cancel(reason)).then(() => undefined); } catch (e) { return Promise.reject(e); }
    }
    get locked() { return this._reader !== null; }
    cancel(reason) {
      if (this.locked) return Promise.reject(new TypeError("ReadableStream.cancel: the stream is locked to a reader"));
      return this._cancel(reason);
    }
    getReader(options) {
      if (options && options.mode !== undefined) throw new TypeError(`ReadableStream.getReader: mode "${options.mode}" is not supported in Cove agents (only the default reader)`);
      if (this.locked) throw new TypeError("ReadableStream.getReader: the stream is already locked to a reader");
      const s = this;
      let released = false, settle;
      const closed = new Promise((resolve, reject) => { settle = (err) => (err === undefined ? resolve() : reject(err[0])); });
      closed.catch(() => {});
      const reader = {
        async read() {
          if (released) throw new TypeError("ReadableStreamDefaultReader.read: the reader has been released");
          s._disturb();
          try {
            const r = await s._read();
            if (r.done) settle();
            return r;
          } catch (e) { settle([e]); throw e; }
        },
        releaseLock() { if (!released) { released = true; s._reader = null; } },
        cancel(reason) {
          if (released) return Promise.reject(new TypeError("ReadableStreamDefaultReader.cancel: the reader has been released"));
          return s._cancel(reason).then(() => settle());
        },
        get closed() { return closed; },
      };
      this._reader = reader;
      return reader;
    }
    tee() {
      const reader = this.getReader();
      const branches = [];
      let reading = null;
      const pullShared = () => reading || (reading = reader.read().then(({ done, value }) => {
        reading = null;
        for (const b of branches) if (!b.cancelled) done ? b.ctl.close() : b.ctl.enqueue(value);
      }, (e) => {
        reading = null;
        for (const b of branches) b.ctl.error(e);
      }));
      const branch = () => {
        const b = { cancelled: false, ctl: null };
        branches.push(b);
        return new ReadableStream({
          start(c) { b.ctl = c; },
          pull: pullShared,
          cancel(reason) { b.cancelled = true; if (branches.every((x) => x.cancelled)) return reader.cancel(reason); },
        });
      };
      return [branch(), branch()];
    }
    async *values(options) {
      const r = this.getReader();
      let done = false;
      try {
        for (;;) { const c = await r.read(); if (c.done) { done = true; return; } yield c.value; }
      } finally {
        if (!done && !(options && options.preventCancel)) await r.cancel();
        r.releaseLock();
      }
    }
    [Symbol.asyncIterator](options) { return this.values(options); }
    // pipeTo writes every chunk to dest in order, then closes it; an error
    // on either side aborts dest or cancels this stream, unless prevented.
    async pipeTo(dest, options = {}) {
      if (!(dest instanceof WritableStream)) throw new TypeError("ReadableStream.pipeTo: the destination must be a WritableStream");
      const { preventClose, preventAbort, preventCancel, signal } = options || {};
      const reader = this.getReader();
      const writer = dest.getWriter();
      // An abort ends the pipe at once, also while a read is pending.
      let onAbort = null;
      const abortedP = signal ? new Promise((_, reject) => {
        onAbort = () => reject(signal.reason);
        if (signal.aborted) onAbort(); else signal.addEventListener("abort", onAbort, { once: true });
      }) : null;
      if (abortedP) abortedP.catch(() => {});
      const race = (p) => (abortedP ? Promise.race([p, abortedP]) : p);
      try {
        for (;;) {
          const { done, value } = await race(reader.read());
          if (done) break;
          await race(writer.write(value));
        }
        if (!preventClose) await writer.close();
      } catch (e) {
        if (!preventAbort) await writer.abort(e).catch(() => {});
        if (!preventCancel) await reader.cancel(e).catch(() => {});
        throw e;
      } finally {
        if (onAbort) signal.removeEventListener("abort", onAbort);
        reader.releaseLock();
        writer.releaseLock();
      }
    }
    pipeThrough(pair, options) {
      if (!pair || !(pair.writable instanceof WritableStream) || !(pair.readable instanceof ReadableStream)) {
        throw new TypeError("ReadableStream.pipeThrough: want {writable, readable}");
      }
      if (this.locked) throw new TypeError("ReadableStream.pipeThrough: the stream is locked to a reader");
      if (pair.writable.locked) throw new TypeError("ReadableStream.pipeThrough: the writable side is locked to a writer");
      this.pipeTo(pair.writable, options).catch(() => {});
      return pair.readable;
    }
    static from(iterable) {
      const it = iterable[Symbol.asyncIterator] ? iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator]();
      return new ReadableStream({
        async pull(c) { const { done, value } = await it.next(); if (done) c.close(); else c.enqueue(await value); },
        async cancel(reason) { if (typeof it.return === "function") await it.return(reason); },
      });
    }
    get [Symbol.toStringTag]() { return "ReadableStream"; }
  }

  // A WritableStream over an underlying sink (start, write, close, abort):
  // writes reach the sink one at a time, in order. Its writer's ready is
  // always resolved (no backpressure, as above).
  class WritableStream {
    constructor(sink = {}) {
      if (sink === null || typeof sink !== "object") throw new TypeError("WritableStream: the underlying sink must be an object");
      const s = this;
      def(this, "_sink", sink);
      def(this, "_state", "writable"); // writable, closing, closed, errored
      def(this, "_error", undefined);
      def(this, "_writer", null);
      const ctl = { error(e) { s._fail(e); }, signal: undefined };
      def(this, "_ctl", ctl);
      def(this, "_chain", Promise.resolve(sink.start ? sink.start(ctl) : undefined).catch((e) => { s._fail(e); }));
      let settle;
      def(this, "_closed", new Promise((resolve, reject) => { settle = { resolve, reject }; }));
      this._closed.catch(() => {});
      def(this, "_settle", settle);
    }
    _fail(e) {
      if (this._state === "errored" || this._state === "closed") return;
      this._state = "errored";
      this._error = e;
      this._settle.reject(e);
    }
    // _then queues step after the writes before it; an error in a step
    // errors the stream and rejects the steps after it.
    _then(step) {
      const p = this._chain.then(() => {
        if (this._state === "errored") throw this._error;
        return step();
      });
      this._chain = p.catch((e) => { this._fail(e); });
      return p;
    }
    get locked() { return this._writer !== null; }
    getWriter() {
      if (this.locked) throw new TypeError("WritableStream.getWriter: the stream is already locked to a writer");
      const s = this;
      let released = false;
      const check = (what) => {
        if (released) return Promise.reject(new TypeError(`WritableStreamDefaultWriter.${what}: the writer has been released`));
        return null;
      };
      const writer = {
        write(chunk) {
          return check("write") || (s._state !== "writable" ? Promise.reject(s._state === "errored" ? s._error : new TypeError("WritableStream: cannot write to a closing or closed stream"))
            : s._then(() => (s._sink.write ? s._sink.write(chunk, s._ctl) : undefined)).then(() => undefined));
        },
        close() { return check("close") || s._close(); },
        abort(reason) { return check("abort") || s._abort(reason); },
        releaseLock() { if (!released) { released = true; s._writer = null; } },
        get ready() { return s._state === "errored" ? Promise.reject(s._error) : Promise.resolve(); },
        get closed() { return s._closed; },
        get desiredSize() { return s._state === "errored" ? null : s._state === "writable" ? 1 : 0; },
      };
      this._writer = writer;
      return writer;
    }
    _close() {
      if (this._state !== "writable") return Promise.reject(new TypeError("WritableStream: the stream is already closing or closed"));
      this._state = "closing";
      return this._then(() => (this._sink.close ? this._sink.close() : undefined)).then(() => {
        this._state = "closed";
        this._settle.resolve();
      });
    }
    _abort(reason) {
      if (this._state === "closed" || this._state === "errored") return Promise.resolve();
      this._fail(reason);
      try { return Promise.resolve(this._sink.abort ? this._sink.abort(reason) : undefined).then(() => undefined); } catch (e) { return Promise.reject(e); }
    }
    close() {
      if (this.locked) return Promise.reject(new TypeError("WritableStream.close: the stream is locked to a writer"));
      return this._close();
    }
    abort(reason) {
      if (this.locked) return Promise.reject(new TypeError("WritableStream.abort: the stream is locked to a writer"));
      return this._abort(reason);
    }
    get [Symbol.toStringTag]() { return "WritableStream"; }
  }

  // A TransformStream: what is written to writable goes through
  // transform (default: as it is) to readable; flush runs at close.
  class TransformStream {
    constructor(transformer = {}) {
      if (transformer === null || typeof transformer !== "object") throw new TypeError("TransformStream: the transformer must be an object");
      let out, writable = null, failed; // failed: an error or terminate before writable exists
      const fail = (e) => { if (writable) writable._fail(e); else failed = [e]; };
      const readable = new ReadableStream({
        start(c) { out = c; },
        cancel(reason) { fail(reason); },
      });
      const ctl = {
        enqueue(chunk) { out.enqueue(chunk); },
        error(e) { out.error(e); fail(e); },
        terminate() { try { out.close(); } catch (e) {} fail(new TypeError("TransformStream: terminated")); },
        get desiredSize() { return out.desiredSize; },
      };
      const started = Promise.resolve(transformer.start ? transformer.start(ctl) : undefined);
      writable = new WritableStream({
        start() { return started; },
        write(chunk) { return transformer.transform ? transformer.transform(chunk, ctl) : ctl.enqueue(chunk); },
        close() { return Promise.resolve(transformer.flush ? transformer.flush(ctl) : undefined).then(() => { try { out.close(); } catch (e) {} }); },
        abort(reason) { out.error(reason); },
      });
      if (failed) writable._fail(failed[0]);
      def(this, "readable", readable);
      def(this, "writable", writable);
    }
    get [Symbol.toStringTag]() { return "TransformStream"; }
  }

  class TextEncoderStream extends TransformStream {
    constructor() { super({ transform(chunk, c) { const b = utf8encode(String(chunk)); if (b.length) c.enqueue(b); } }); }
    get encoding() { return "utf-8"; }
  }
  // TextDecoderStream keeps the bytes of a character cut between chunks
  // for the next one.
  class TextDecoderStream extends TransformStream {
    constructor(label = "utf-8", options = {}) {
      // A byte order mark is dropped at the start of the stream only.
      let d = new TextDecoder(label, options);
      const after = new TextDecoder(label, Object.assign({}, options, { ignoreBOM: true }));
      let rest = new Uint8Array(0);
      super({
        transform(chunk, c) {
          let b = toU8(chunk);
          if (rest.length) { const j = new Uint8Array(rest.length + b.length); j.set(rest); j.set(b, rest.length); b = j; }
          let cut = b.length;
          // Back up over a trailing incomplete UTF-8 sequence (at most 3 bytes).
          for (let i = b.length - 1; i >= 0 && i >= b.length - 3; i--) {
            const x = b[i];
            if ((x & 0xc0) === 0x80) continue; // a continuation byte
            const need = x >= 0xf0 ? 4 : x >= 0xe0 ? 3 : x >= 0xc0 ? 2 : 1;
            if (b.length - i < need) cut = i;
            break;
          }
          rest = b.slice(cut);
          if (cut === 0) return;
          const s = d.decode(b.subarray(0, cut));
          d = after;
          if (s) c.enqueue(s);
        },
        flush(c) { if (rest.length) c.enqueue(d.decode(rest)); },
      });
    }
    get encoding() { return "utf-8"; }
  }

  class FormData {
    constructor() { def(this, "_list", []); }
    append(k, v) { this._list.push([String(k), v instanceof Blob ? v : String(v)]); }
    set(k, v) { this.delete(k); this.append(k, v); }
    get(k) { const e = this._list.find(([a]) => a === String(k)); return e ? e[1] : null; }
    getAll(k) { return this._list.filter(([a]) => a === String(k)).map(([, v]) => v); }
    has(k) { return this._list.some(([a]) => a === String(k)); }
    delete(k) { def(this, "_list", this._list.filter(([a]) => a !== String(k))); }
    entries() { return this._list.slice()[Symbol.iterator](); }
    [Symbol.iterator]() { return this.entries(); }
  }

  // ---------- crypto ----------
  const subtle = {
    async digest(alg, data) {
      const name = (typeof alg === "string" ? alg : alg && alg.name || "").toUpperCase();
      const r = host("digest", name + "\u0000" + b64encode(toU8(data)));
      return b64decode(r).buffer;
    },
  };
  for (const m of ["encrypt", "decrypt", "sign", "verify", "generateKey", "deriveKey", "deriveBits", "importKey", "exportKey", "wrapKey", "unwrapKey"]) {
    subtle[m] = () => Promise.reject(new DOMException(`crypto.subtle.${m} is not supported in Cove agents yet; crypto.subtle.digest is`, "NotSupportedError"));
  }
  const crypto = {
    getRandomValues(arr) {
      if (!ArrayBuffer.isView(arr) || arr instanceof Float32Array || arr instanceof Float64Array || arr instanceof DataView) throw new TypeError("crypto.getRandomValues: expected an integer TypedArray");
      if (arr.byteLength > 65536) throw new DOMException(`crypto.getRandomValues: ${arr.byteLength} bytes requested, more than 65536`, "QuotaExceededError");
      const b = b64decode(host("random", String(arr.byteLength)));
      new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).set(b);
      return arr;
    },
    randomUUID() {
      const b = b64decode(host("random", "16"));
      b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
      const h = Array.from(b, (x) => (x + 0x100).toString(16).slice(1)).join("");
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
    subtle,
  };

  // ---------- structuredClone ----------
  function structuredClone(value) {
    const seen = new Map();
    const clone = (v) => {
      if (v === null || typeof v !== "object") {
        if (typeof v === "function" || typeof v === "symbol") throw new DOMException(`${String(v)} could not be cloned.`, "DataCloneError");
        return v;
      }
      if (seen.has(v)) return seen.get(v);
      let out;
      if (v instanceof Date) out = new Date(v.getTime());
      else if (v instanceof RegExp) out = new RegExp(v.source, v.flags);
      else if (v instanceof ArrayBuffer) out = v.slice(0);
      else if (ArrayBuffer.isView(v)) { const buf = clone(v.buffer); out = v instanceof DataView ? new DataView(buf, v.byteOffset, v.byteLength) : new v.constructor(buf, v.byteOffset, v.length); }
      else if (v instanceof Map) { out = new Map(); seen.set(v, out); for (const [k, x] of v) out.set(clone(k), clone(x)); return out; }
      else if (v instanceof Set) { out = new Set(); seen.set(v, out); for (const x of v) out.add(clone(x)); return out; }
      else if (v instanceof Error) { out = new v.constructor(v.message); out.name = v.name; if (v.stack) out.stack = v.stack; }
      else if (v instanceof Boolean || v instanceof Number || v instanceof String) out = Object(v.valueOf());
      else if (Array.isArray(v)) { out = new Array(v.length); seen.set(v, out); for (let i = 0; i < v.length; i++) if (i in v) out[i] = clone(v[i]); return out; }
      else if (v instanceof Promise || v instanceof WeakMap || v instanceof WeakSet) throw new DOMException("#<Object> could not be cloned.", "DataCloneError");
      else { out = {}; seen.set(v, out); for (const k of Object.keys(v)) out[k] = clone(v[k]); return out; }
      seen.set(v, out);
      return out;
    };
    return clone(value);
  }

  // ---------- console formatting ----------
  // The web classes' fields are accessors of their prototypes (as in
  // Node), which Object.keys does not list: inspect shows them by name,
  // like Node's; Headers and URLSearchParams as their first 100 pairs.
  const WEB_FIELDS = [
    [core.Response, "Response", ["status", "statusText", "headers", "ok", "redirected", "type", "url", "bodyUsed"]],
    [core.Request, "Request", ["method", "url", "headers", "bodyUsed"]],
    [core.URL, "URL", ["href", "origin", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"]],
  ];
  function inspect(v, depth, seen) {
    if (typeof v === "string") return depth === 0 ? v : JSON.stringify(v);
    if (typeof v === "bigint") return v + "n";
    if (typeof v === "symbol") return v.toString();
    if (typeof v === "function") return `[Function ${v.name || "anonymous"}]`;
    if (v === null || typeof v !== "object") return String(v);
    if (v instanceof Error) return v.stack ? `${v.name}: ${v.message}\n${v.stack}`.trim() : `${v.name}: ${v.message}`;
    if (seen.indexOf(v) >= 0) return "[Circular]";
    if (depth > 3) return Array.isArray(v) ? "[Array]" : "[Object]";
    seen.push(v);
    try {
      if (Array.isArray(v)) return "[ " + v.slice(0, 100).map((x) => inspect(x, depth + 1, seen)).join(", ") + (v.length > 100 ? ", …" : "") + " ]";
      if (v instanceof Uint8Array) return `Uint8Array(${v.length}) [ ${Array.from(v.subarray(0, 32)).join(", ")}${v.length > 32 ? ", …" : ""} ]`;
      if (v instanceof Map) return `Map(${v.size}) { ${Array.from(v).slice(0, 50).map(([k, x]) => inspect(k, depth + 1, seen) + " => " + inspect(x, depth + 1, seen)).join(", ")} }`;
      if (v instanceof Set) return `Set(${v.size}) { ${Array.from(v).slice(0, 50).map((x) => inspect(x, depth + 1, seen)).join(", ")} }`;
      if (v instanceof Date) return isNaN(v) ? "Invalid Date" : v.toISOString();
      if (v instanceof core.Headers || v instanceof core.URLSearchParams) {
        const pairs = [];
        for (const p of v) {
          if (pairs.length === 100) { pairs.push("…"); break; }
          pairs.push(JSON.stringify(p[0]) + ": " + JSON.stringify(p[1]));
        }
        return (v instanceof core.Headers ? "Headers" : "URLSearchParams") + " { " + pairs.join(", ") + " }";
      }
      for (const [C, name, fields] of WEB_FIELDS) {
        if (v instanceof C) return name + " { " + fields.map((k) => k + ": " + inspect(v[k], depth + 1, seen)).join(", ") + " }";
      }
      const keys = Object.keys(v);
      const name = v.constructor && v.constructor.name && v.constructor !== Object ? v.constructor.name + " " : "";
      return name + "{ " + keys.slice(0, 100).map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${inspect(v[k], depth + 1, seen)}`).join(", ") + (keys.length > 100 ? ", …" : "") + " }";
    } catch (e) {
      return "[Object]";
    } finally {
      seen.pop();
    }
  }
  function format(args) {
    let first = args[0];
    let rest = Array.prototype.slice.call(args, 1);
    if (typeof first === "string" && /%[sdifjoO%]/.test(first) && rest.length) {
      first = first.replace(/%[sdifjoO%]/g, (m) => {
        if (m === "%%") return "%";
        if (!rest.length) return m;
        const a = rest.shift();
        switch (m) {
          case "%s": return typeof a === "string" ? a : inspect(a, 1, []);
          case "%d": case "%i": return String(parseInt(a, 10));
          case "%f": return String(parseFloat(a));
          case "%j": try { return JSON.stringify(a); } catch (e) { return "[Circular]"; }
          default: return inspect(a, 1, []);
        }
      });
      return [first].concat(rest.map((a) => inspect(a, 0, []))).join(" ");
    }
    return Array.prototype.map.call(args, (a) => inspect(a, 0, [])).join(" ");
  }

  // ---------- Intl (basic) ----------
  // QuickJS has no Intl. This is a small one: en-US formats whatever locale
  // is asked for (resolvedOptions().locale says so), time zone UTC only,
  // NumberFormat (decimal, percent, currency; fraction and integer digits,
  // grouping), DateTimeFormat (the common fields, dateStyle/timeStyle),
  // Collator (base letters, then accents, then case; numeric) and PluralRules
  // (English). What it lacks throws a RangeError that names the gap.
  const INTL_LOCALE = "en-US";
  const gap = (what) => new RangeError(`${what} is not supported by Cove's basic Intl (en-US, UTC)`);
  const opts = (o) => (o === undefined ? {} : o === null ? (() => { throw new TypeError("Intl: options must be an object"); })() : Object(o));
  function digitsOpt(o, name, min, max, fallback) {
    const v = o[name];
    if (v === undefined) return fallback;
    const n = Math.floor(Number(v));
    if (!(n >= min && n <= max)) throw new RangeError(`${name} value is out of range.`);
    return n;
  }
  // decimalRound rounds a non-negative finite number to frac fraction
  // digits, half away from zero, on its shortest decimal form (as ICU does:
  // 1.005 is "1.01", not toFixed's "1.00"). It returns [integer, fraction].
  function decimalRound(x, frac) {
    let str = String(x), exp = 0;
    const e = str.indexOf("e");
    if (e >= 0) { exp = Number(str.slice(e + 1)); str = str.slice(0, e); }
    let [ip, fp = ""] = str.split(".");
    let digits = ip + fp, point = ip.length + exp;
    if (point < 0) { digits = "0".repeat(-point) + digits; point = 0; }
    if (point > digits.length) digits += "0".repeat(point - digits.length);
    let keep = digits.slice(0, point + frac).split("").map(Number);
    while (keep.length < point + frac) keep.push(0);
    if (Number(digits[point + frac] || 0) >= 5) {
      let i = keep.length - 1;
      for (; i >= 0; i--) { if (keep[i] === 9) keep[i] = 0; else { keep[i]++; break; } }
      if (i < 0) { keep.unshift(1); point++; }
    }
    const all = keep.join("");
    return [all.slice(0, point).replace(/^0+(?=\d)/, "") || "0", all.slice(point)];
  }
  const CURRENCY_SYMBOL = { USD: "$", EUR: "€", GBP: "£", JPY: "¥", INR: "₹", CNY: "CN¥", KRW: "₩", CAD: "CA$", AUD: "A$" };
  const CURRENCY_ZERO = new Set(["JPY", "KRW", "VND", "CLP", "ISK"]);
  class NumberFormat {
    constructor(locales, options) {
      const o = opts(options);
      const style = o.style === undefined ? "decimal" : String(o.style);
      if (!["decimal", "percent", "currency"].includes(style)) throw gap(`Intl.NumberFormat style "${style}"`);
      if (o.notation !== undefined && o.notation !== "standard") throw gap(`Intl.NumberFormat notation "${o.notation}"`);
      if (o.minimumSignificantDigits !== undefined || o.maximumSignificantDigits !== undefined) throw gap("Intl.NumberFormat significant digits");
      let currency;
      if (style === "currency") {
        if (o.currency === undefined) throw new TypeError("Currency code is required with currency style.");
        currency = String(o.currency).toUpperCase();
        if (!/^[A-Z]{3}$/.test(currency)) throw new RangeError("Invalid currency code : " + o.currency);
      }
      const cd = currency ? (CURRENCY_ZERO.has(currency) ? 0 : 2) : 0;
      const dMin = style === "currency" ? cd : 0, dMax = style === "currency" ? cd : style === "percent" ? 0 : 3;
      let min = digitsOpt(o, "minimumFractionDigits", 0, 100, undefined);
      let max = digitsOpt(o, "maximumFractionDigits", 0, 100, undefined);
      if (min === undefined) min = Math.min(dMin, max === undefined ? dMin : max);
      if (max === undefined) max = Math.max(dMax, min);
      if (min > max) throw new RangeError("maximumFractionDigits value is out of range.");
      const g = o.useGrouping;
      def(this, "_o", {
        locale: INTL_LOCALE, numberingSystem: "latn", style, currency,
        minimumIntegerDigits: digitsOpt(o, "minimumIntegerDigits", 1, 21, 1),
        minimumFractionDigits: min, maximumFractionDigits: max,
        useGrouping: g === undefined || g === true || g === "always" || g === "auto" || g === "min2" ? "auto" : false,
        notation: "standard", signDisplay: "auto",
      });
    }
    format(x) {
      const o = this._o;
      const group = (s) => (o.useGrouping ? s.replace(/\B(?=(\d{3})+(?!\d))/g, ",") : s);
      let neg, ip, fp = "";
      if (typeof x === "bigint") {
        neg = x < 0n; ip = String(neg ? -x : x);
        if (o.minimumFractionDigits) fp = "0".repeat(o.minimumFractionDigits);
      } else {
        let n = Number(x);
        if (Number.isNaN(n)) return "NaN";
        if (o.style === "percent") n *= 100;
        neg = n < 0 || Object.is(n, -0);
        if (!Number.isFinite(n)) return (neg ? "-" : "") + "∞";
        [ip, fp] = decimalRound(Math.abs(n), o.maximumFractionDigits);
        while (fp.length > o.minimumFractionDigits && fp.endsWith("0")) fp = fp.slice(0, -1);
      }
      ip = group(ip.padStart(o.minimumIntegerDigits, "0"));
      let out = fp ? ip + "." + fp : ip;
      if (o.style === "percent") out += "%";
      if (o.style === "currency") out = (CURRENCY_SYMBOL[o.currency] || o.currency + "\u00a0") + out;
      return (neg ? "-" : "") + out;
    }
    formatToParts() { throw gap("Intl.NumberFormat.prototype.formatToParts"); }
    resolvedOptions() { const r = Object.assign({}, this._o); if (r.currency === undefined) delete r.currency; return r; }
    static supportedLocalesOf() { return [INTL_LOCALE]; }
  }

  const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
  const UTC_NAMES = ["UTC", "ETC/UTC", "GMT", "ETC/GMT", "Z", "ETC/ZULU", "UNIVERSAL"];
  const DATE_STYLES = {
    full: { weekday: "long", year: "numeric", month: "long", day: "numeric" },
    long: { year: "numeric", month: "long", day: "numeric" },
    medium: { year: "numeric", month: "short", day: "numeric" },
    short: { year: "2-digit", month: "numeric", day: "numeric" },
  };
  const TIME_STYLES = {
    full: { hour: "numeric", minute: "2-digit", second: "2-digit", timeZoneName: "long" },
    long: { hour: "numeric", minute: "2-digit", second: "2-digit", timeZoneName: "short" },
    medium: { hour: "numeric", minute: "2-digit", second: "2-digit" },
    short: { hour: "numeric", minute: "2-digit" },
  };
  class DateTimeFormat {
    constructor(locales, options) {
      const o = opts(options);
      const tz = o.timeZone === undefined ? "UTC" : String(o.timeZone);
      if (!UTC_NAMES.includes(tz.toUpperCase())) throw gap(`Intl.DateTimeFormat time zone "${tz}"`);
      const f = {};
      for (const k of ["weekday", "year", "month", "day", "hour", "minute", "second", "timeZoneName"]) if (o[k] !== undefined) f[k] = String(o[k]);
      if (o.era !== undefined || o.fractionalSecondDigits !== undefined || o.dayPeriod !== undefined) throw gap("Intl.DateTimeFormat era, dayPeriod and fractionalSecondDigits");
      const styled = o.dateStyle !== undefined || o.timeStyle !== undefined;
      if (styled && Object.keys(f).length) throw new TypeError("Can't set option " + Object.keys(f)[0] + " when dateStyle or timeStyle is used");
      if (o.dateStyle !== undefined) { if (!DATE_STYLES[o.dateStyle]) throw new RangeError("Value " + o.dateStyle + " out of range for Intl.DateTimeFormat options property dateStyle"); Object.assign(f, DATE_STYLES[o.dateStyle]); }
      if (o.timeStyle !== undefined) { if (!TIME_STYLES[o.timeStyle]) throw new RangeError("Value " + o.timeStyle + " out of range for Intl.DateTimeFormat options property timeStyle"); Object.assign(f, TIME_STYLES[o.timeStyle]); }
      if (!styled && !f.weekday && !f.year && !f.month && !f.day && !f.hour && !f.minute && !f.second) Object.assign(f, { year: "numeric", month: "numeric", day: "numeric" });
      const h12 = o.hour12 !== undefined ? !!o.hour12 : o.hourCycle !== undefined ? o.hourCycle === "h12" || o.hourCycle === "h11" : true;
      def(this, "_f", f);
      def(this, "_o", { locale: INTL_LOCALE, calendar: "gregory", numberingSystem: "latn", timeZone: "UTC", dateStyle: o.dateStyle, timeStyle: o.timeStyle, hour12: f.hour ? h12 : undefined });
    }
    format(when) {
      const t = when === undefined ? Date.now() : Number(when instanceof Date ? when.getTime() : when);
      if (!Number.isFinite(t)) throw new RangeError("Invalid time value");
      const d = new Date(t), f = this._f;
      const two = (n) => String(n).padStart(2, "0");
      const num = (n, style) => (style === "2-digit" ? two(n % 100) : String(n));
      const parts = [];
      const Y = d.getUTCFullYear(), M = d.getUTCMonth(), D = d.getUTCDate();
      let date = "";
      const year = f.year ? num(Y, f.year) : "";
      if (f.month === "numeric" || f.month === "2-digit") {
        date = [num(M + 1, f.month), f.day ? num(D, f.day) : "", year].filter(Boolean).join("/");
      } else if (f.month) {
        const m = f.month === "long" ? MONTHS[M] : f.month === "narrow" ? MONTHS[M][0] : MONTHS[M].slice(0, 3);
        date = m + (f.day ? " " + num(D, f.day) : "") + (year ? (f.day ? ", " : " ") + year : "");
      } else {
        date = [f.day ? num(D, f.day) : "", year].filter(Boolean).join(", ");
      }
      if (f.weekday) {
        const w = WEEKDAYS[d.getUTCDay()];
        const wd = f.weekday === "long" ? w : f.weekday === "narrow" ? w[0] : w.slice(0, 3);
        date = date ? wd + ", " + date : wd;
      }
      if (date) parts.push(date);
      if (f.hour || f.minute || f.second) {
        const h = d.getUTCHours(), h12 = this._o.hour12 !== false;
        let time = "";
        if (f.hour) time = h12 ? num(h % 12 || 12, f.hour) : two(h);
        if (f.minute) time += (time ? ":" : "") + (f.hour || f.second ? two(d.getUTCMinutes()) : num(d.getUTCMinutes(), f.minute));
        if (f.second) time += (time ? ":" : "") + (f.minute ? two(d.getUTCSeconds()) : num(d.getUTCSeconds(), f.second));
        if (f.hour && h12) time += h < 12 ? " AM" : " PM";
        if (f.timeZoneName) time += f.timeZoneName === "long" ? " Coordinated Universal Time" : " UTC";
        parts.push(time);
      }
      return parts.join(f.month === "long" ? " at " : ", "); // ICU's long date-time pattern
    }
    formatToParts() { throw gap("Intl.DateTimeFormat.prototype.formatToParts"); }
    resolvedOptions() { const r = Object.assign({}, this._o, this._f); for (const k of Object.keys(r)) if (r[k] === undefined) delete r[k]; return r; }
    static supportedLocalesOf() { return [INTL_LOCALE]; }
  }

  class Collator {
    constructor(locales, options) {
      const o = opts(options);
      def(this, "_o", { locale: INTL_LOCALE, usage: "sort", sensitivity: o.sensitivity === undefined ? "variant" : String(o.sensitivity), ignorePunctuation: false, collation: "default", numeric: !!o.numeric, caseFirst: "false" });
      def(this, "compare", (a, b) => this._compare(String(a), String(b)));
    }
    _compare(a, b) {
      const base = (s) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
      const cmp = (x, y) => {
        if (this._o.numeric) {
          const re = /(\d+)|(\D+)/g, xs = x.match(re) || [], ys = y.match(re) || [];
          for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
            const p = xs[i], q = ys[i];
            if (/^\d/.test(p) && /^\d/.test(q)) { const d = Number(p) - Number(q); if (d) return d < 0 ? -1 : 1; continue; }
            if (p !== q) return p < q ? -1 : 1;
          }
          return xs.length === ys.length ? 0 : xs.length < ys.length ? -1 : 1;
        }
        return x === y ? 0 : x < y ? -1 : 1;
      };
      const s = this._o.sensitivity;
      let r = cmp(base(a), base(b));
      if (r || s === "base") return r;
      const accents = (x) => x.normalize("NFD").toLowerCase();
      r = cmp(accents(a), accents(b));
      if (r || s === "accent") return r;
      // lower case sorts first in en
      const swap = (x) => x.normalize("NFD").replace(/[a-zA-Z]/g, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
      return cmp(swap(a), swap(b));
    }
    resolvedOptions() { return Object.assign({}, this._o); }
    static supportedLocalesOf() { return [INTL_LOCALE]; }
  }

  class PluralRules {
    constructor(locales, options) {
      const o = opts(options);
      def(this, "_type", o.type === "ordinal" ? "ordinal" : "cardinal");
    }
    select(n) {
      n = Math.abs(Number(n));
      if (this._type === "cardinal") return n === 1 ? "one" : "other";
      const t = n % 10, h = n % 100;
      return t === 1 && h !== 11 ? "one" : t === 2 && h !== 12 ? "two" : t === 3 && h !== 13 ? "few" : "other";
    }
    resolvedOptions() { return { locale: INTL_LOCALE, type: this._type }; }
    static supportedLocalesOf() { return [INTL_LOCALE]; }
  }

  const Intl = {
    NumberFormat, DateTimeFormat, Collator, PluralRules,
    getCanonicalLocales(l) { return l === undefined ? [] : [].concat(l).map(String); },
    supportedValuesOf() { throw gap("Intl.supportedValuesOf"); },
  };
  for (const name of ["RelativeTimeFormat", "ListFormat", "DisplayNames", "Segmenter", "Locale"]) {
    Intl[name] = function () { throw gap("Intl." + name); };
  }
  Object.defineProperty(Intl, Symbol.toStringTag, { value: "Intl" });

  return { Intl, format, inspect, DOMException, TextEncoder, TextDecoder, Event, EventTarget, AbortSignal, AbortController, Blob, FormData, ReadableStream, WritableStream, TransformStream, TextEncoderStream, TextDecoderStream, crypto, structuredClone };
});
