// The lazily loaded part of the Cove agent runtime: web APIs most agents
// never touch. prelude.js loads it the first time an agent reads one of these
// globals, so that every call does not pay for deserialising them. The
// script's value is the factory, which the host hands to the runtime.
(function (core) {
  "use strict";
  const { host, def, b64encode, b64decode, utf8encode, utf8decode, toU8, setTimeout } = core;
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
  // tees it, or builds one with start/pull/cancel. A Response made from a
  // stream takes the chunks enqueued synchronously in start(). Strings and
  // buffers become bytes when the stream is a body; other chunks pass as they
  // are. There are no BYOB readers and no pipes (no WritableStream).
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
    _disturb() { if (this._owner) this._owner._used = true; }
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
    static from(iterable) {
      const it = iterable[Symbol.asyncIterator] ? iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator]();
      return new ReadableStream({
        async pull(c) { const { done, value } = await it.next(); if (done) c.close(); else c.enqueue(await value); },
        async cancel(reason) { if (typeof it.return === "function") await it.return(reason); },
      });
    }
    get [Symbol.toStringTag]() { return "ReadableStream"; }
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
  return { format, inspect, DOMException, TextEncoder, TextDecoder, Event, EventTarget, AbortSignal, AbortController, Blob, FormData, ReadableStream, crypto, structuredClone };
});
