// The Cove agent runtime: the web-standard globals an agent sees, built on one
// host function. It is compiled to bytecode once per process and evaluated in
// every fresh VM before the agent's bundle. Everything here runs inside the
// sandbox with the agent's privileges: the host (Go) validates every call and
// enforces every limit; nothing in this file is trusted for security.
//
// The script's value is the host's one way in (dispatch, at the end): the
// runtime's entry points live only in this closure, never on globalThis, so
// agent code can neither call nor replace them.
(function (global) {
  "use strict";
  const host = global.__cove_host;
  delete global.__cove_host;
  // settled(p, none, Promise, Promise.prototype) is p's value when
  // answering with it now is what awaiting p would do next, else none (the
  // native engine's, quickjs_native.h, cove_settled; modernc's engine has
  // none). The intrinsics as found here, before any agent code runs.
  const settled = typeof global.__cove_settled === "function" ? global.__cove_settled : null;
  delete global.__cove_settled;
  const PromiseCtor = Promise, PromiseProto = Promise.prototype, getPrototypeOf = Object.getPrototypeOf;
  const hasOwn = Object.hasOwn, lookupGetter = Object.prototype.__lookupGetter__;

  // def defines a non-enumerable data property. One descriptor object is
  // reused (defining a property is on every request's path, and a new
  // descriptor each time costs about as much again); its value is cleared
  // after, so it keeps nothing alive.
  // Null prototype: defining a property reads get and set from it, which
  // must not reach a getter the agent put on Object.prototype.
  const DESC = Object.assign(Object.create(null), { value: undefined, writable: true, configurable: true, enumerable: false });
  const defineProperty = Object.defineProperty;
  const def = (obj, name, value) => {
    DESC.value = value;
    try { defineProperty(obj, name, DESC); } finally { DESC.value = undefined; }
    return obj;
  };

  // The runtime's own fields on the objects each request makes (URL,
  // URLSearchParams, Headers, Request, Response) are keyed by these
  // symbols: Object.keys, for...in and JSON.stringify never show them,
  // and setting one is an assignment rather than a defineProperty call
  // (each cost ~0.17 µs, and a request made ~16). Being set by assignment
  // they are enumerable symbols: Object.assign and spreading copy them
  // (the copy is no Request or Response). An agent can reach them
  // (Object.getOwnPropertySymbols), as it could the hidden "_" fields
  // before; nothing here is trusted.
  const $list = Symbol("list"), $query = Symbol("query"), $parent = Symbol("parent"), $parts = Symbol("parts"), $params = Symbol("params"), $href = Symbol("href");
  const $map = Symbol("map"), $body = Symbol("body"), $used = Symbol("used"), $stream = Symbol("stream");
  const $url = Symbol("url"), $method = Symbol("method"), $headers = Symbol("headers"), $rawHeaders = Symbol("rawHeaders");
  const $signal = Symbol("signal"), $redirect = Symbol("redirect"), $status = Symbol("status"), $type = Symbol("type"), $info = Symbol("info"), $self = Symbol("self");

  // The request being served, set by prepare (see dispatch at the end).
  let req = null;

  // ---------- bytes: base64 and UTF-8 ----------
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const B64IDX = new Int16Array(256).fill(-1);
  for (let i = 0; i < 64; i++) B64IDX[B64.charCodeAt(i)] = i;
  B64IDX[45] = 62; B64IDX[95] = 63; // - and _ (base64url) decode too

  function b64encode(u8) {
    let out = "";
    const n = u8.length;
    let i = 0;
    const parts = [];
    for (; i + 2 < n; i += 3) {
      const v = (u8[i] << 16) | (u8[i + 1] << 8) | u8[i + 2];
      out += B64[v >> 18] + B64[(v >> 12) & 63] + B64[(v >> 6) & 63] + B64[v & 63];
      if (out.length > 8192) { parts.push(out); out = ""; }
    }
    if (i < n) {
      const v = (u8[i] << 16) | (i + 1 < n ? u8[i + 1] << 8 : 0);
      out += B64[v >> 18] + B64[(v >> 12) & 63] + (i + 1 < n ? B64[(v >> 6) & 63] : "=") + "=";
    }
    parts.push(out);
    return parts.join("");
  }

  function b64decode(s) {
    s = String(s).replace(/[\t\n\f\r ]+/g, "");
    if (s.length % 4 === 0) s = s.replace(/={1,2}$/, "");
    if (s.length % 4 === 1 || /[^A-Za-z0-9+/\-_]/.test(s)) {
      throw new (lazy().DOMException)("The string to be decoded is not correctly encoded.", "InvalidCharacterError");
    }
    const out = new Uint8Array((s.length * 3) >> 2);
    let o = 0, acc = 0, bits = 0;
    for (let i = 0; i < s.length; i++) {
      acc = (acc << 6) | B64IDX[s.charCodeAt(i)];
      bits += 6;
      if (bits >= 8) { bits -= 8; out[o++] = (acc >> bits) & 255; }
    }
    return out;
  }

  function utf8encode(str) {
    str = String(str);
    const out = new Uint8Array(str.length * 3);
    let o = 0;
    for (let i = 0; i < str.length; i++) {
      let c = str.charCodeAt(i);
      if (c < 0x80) { out[o++] = c; continue; }
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < str.length) {
        const d = str.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          out[o++] = 0xf0 | (c >> 18); out[o++] = 0x80 | ((c >> 12) & 63);
          out[o++] = 0x80 | ((c >> 6) & 63); out[o++] = 0x80 | (c & 63);
          continue;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate
      if (c < 0x800) { out[o++] = 0xc0 | (c >> 6); out[o++] = 0x80 | (c & 63); }
      else { out[o++] = 0xe0 | (c >> 12); out[o++] = 0x80 | ((c >> 6) & 63); out[o++] = 0x80 | (c & 63); }
    }
    return out.slice(0, o);
  }

  function utf8decode(u8, fatal) {
    let out = "";
    const parts = [];
    const n = u8.length;
    let i = 0;
    const bad = () => { if (fatal) throw new TypeError("The encoded data was not valid for encoding utf-8"); return "\ufffd"; };
    while (i < n) {
      const c = u8[i];
      if (c < 0x80) {
        // fast path for ASCII runs
        let j = i;
        while (j < n && u8[j] < 0x80 && j - i < 4096) j++;
        out += String.fromCharCode.apply(null, u8.subarray(i, j));
        i = j;
      } else if (c >= 0xc2 && c < 0xe0 && i + 1 < n && (u8[i + 1] & 0xc0) === 0x80) {
        out += String.fromCharCode(((c & 31) << 6) | (u8[i + 1] & 63)); i += 2;
      } else if (c >= 0xe0 && c < 0xf0 && i + 2 < n && (u8[i + 1] & 0xc0) === 0x80 && (u8[i + 2] & 0xc0) === 0x80) {
        const cp = ((c & 15) << 12) | ((u8[i + 1] & 63) << 6) | (u8[i + 2] & 63);
        if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) { out += bad(); i++; } else { out += String.fromCharCode(cp); i += 3; }
      } else if (c >= 0xf0 && c < 0xf5 && i + 3 < n && (u8[i + 1] & 0xc0) === 0x80 && (u8[i + 2] & 0xc0) === 0x80 && (u8[i + 3] & 0xc0) === 0x80) {
        const cp = ((c & 7) << 18) | ((u8[i + 1] & 63) << 12) | ((u8[i + 2] & 63) << 6) | (u8[i + 3] & 63);
        if (cp < 0x10000 || cp > 0x10ffff) { out += bad(); i++; } else { out += String.fromCodePoint(cp); i += 4; }
      } else { out += bad(); i++; }
      if (out.length > 16384) { parts.push(out); out = ""; }
    }
    parts.push(out);
    return parts.join("");
  }

  function toU8(data) {
    if (data instanceof Uint8Array) return data;
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    throw new TypeError("expected an ArrayBuffer or ArrayBufferView");
  }

  function btoa(s) {
    s = String(s);
    const u8 = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 255) throw new (lazy().DOMException)("btoa: the string contains characters outside of the Latin1 range", "InvalidCharacterError");
      u8[i] = c;
    }
    return b64encode(u8);
  }

  function atob(s) {
    const u8 = b64decode(s);
    let out = "";
    for (let i = 0; i < u8.length; i += 4096) out += String.fromCharCode.apply(null, u8.subarray(i, i + 4096));
    return out;
  }

  // ---------- console ----------
  // Formatting objects lives in prelude_lazy.js; plain strings stay cheap.
  function format(args) {
    let plain = true;
    for (let i = 0; i < args.length; i++) if (typeof args[i] !== "string" || (i === 0 && args.length > 1 && args[0].indexOf("%") >= 0)) { plain = false; break; }
    return plain ? Array.prototype.join.call(args, " ") : lazy().format(args);
  }
  const inspect = (v, depth, seen) => lazy().inspect(v, depth, seen);
  const counts = new Map();
  const timers = new Map();
  const logAt = (level) => function () { host("log", level + "\u0000" + format(arguments)); };
  const console = {
    log: logAt("log"), info: logAt("info"), debug: logAt("debug"), warn: logAt("warn"), error: logAt("error"),
    trace: logAt("debug"),
    dir: (v) => host("log", "log\u0000" + inspect(v, 0, [])),
    table: logAt("log"),
    assert: (cond, ...rest) => { if (!cond) host("log", "error\u0000Assertion failed" + (rest.length ? ": " + format(rest) : "")); },
    count: (label = "default") => { const n = (counts.get(label) || 0) + 1; counts.set(label, n); host("log", `log\u0000${label}: ${n}`); },
    countReset: (label = "default") => counts.delete(label),
    time: (label = "default") => timers.set(label, Date.now()),
    timeEnd: (label = "default") => { const t = timers.get(label); timers.delete(label); host("log", `log\u0000${label}: ${t === undefined ? "no such label" : Date.now() - t + "ms"}`); },
    timeLog: (label = "default") => { const t = timers.get(label); host("log", `log\u0000${label}: ${t === undefined ? "no such label" : Date.now() - t + "ms"}`); },
    group: logAt("log"), groupCollapsed: logAt("log"), groupEnd: () => {},
  };

  // ---------- async host operations ----------
  // Each pending host operation has an id; the Go event loop settles it by
  // calling dispatch(complete, id, ok, payload).
  const pending = new Map();
  function hostAsync(op, arg) {
    return new Promise((resolve, reject) => {
      const id = host(op, arg);
      pending.set(id, { resolve, reject });
    });
  }
  function complete(id, ok, payload) {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if (ok) p.resolve(payload);
    else p.reject(payload);
  }

  // ---------- timers ----------
  const timerCallbacks = new Map();
  function setTimeout(fn, ms = 0, ...args) {
    if (typeof fn !== "function") throw new TypeError("setTimeout: callback must be a function");
    const delay = Math.max(0, Math.min(Number(ms) || 0, 2147483647));
    return schedule(() => fn.apply(global, args), delay);
  }
  function clearTimeout(id) {
    if (intervals.has(id)) return clearInterval(id);
    if (timerCallbacks.delete(id)) host("clearTimer", String(id));
  }
  function schedule(fn, delay) {
    const id = host("timer", String(delay));
    timerCallbacks.set(id, fn);
    return id;
  }
  // An interval keeps its first timer id as its public handle while each
  // tick schedules the next host timer.
  const intervals = new Map();
  function setInterval(fn, ms = 0, ...args) {
    if (typeof fn !== "function") throw new TypeError("setInterval: callback must be a function");
    const delay = Math.max(1, Math.min(Number(ms) || 0, 2147483647));
    const handle = { cur: 0 };
    const tick = () => { handle.cur = schedule(tick, delay); fn.apply(global, args); };
    handle.cur = schedule(tick, delay);
    intervals.set(handle.cur, handle);
    return handle.cur;
  }
  function clearInterval(id) {
    const handle = intervals.get(id);
    if (!handle) return clearTimeout(id);
    intervals.delete(id);
    clearTimeout(handle.cur);
  }
  function fireTimer(id) {
    const cb = timerCallbacks.get(id);
    if (!cb) return;
    timerCallbacks.delete(id);
    cb();
  }
  const queueMicrotask = (fn) => { Promise.resolve().then(fn); };

  // ---------- URL ----------
  // A URLSearchParams made from a string keeps it ($query) until a method
  // needs the pairs ($list, made by _pairs): get on a query that nothing
  // decodes (no '%', no '+') reads the string itself, so the usual
  // new URL(request.url).searchParams.get(name) builds no list.
  class URLSearchParams {
    constructor(init) {
      if (init !== undefined && init !== null && typeof init !== "object") {
        this[$list] = null;
        this[$query] = String(init);
        this[$parent] = null;
        return;
      }
      this[$list] = [];
      this[$query] = null;
      this[$parent] = null;
      if (init === undefined || init === null) return;
      if (typeof init[Symbol.iterator] === "function") {
        for (const pair of init) {
          const p = Array.from(pair);
          if (p.length !== 2) throw new TypeError("URLSearchParams: each pair must have exactly two items");
          this[$list].push([String(p[0]), String(p[1])]);
        }
      } else {
        for (const k of Object.keys(init)) this[$list].push([k, String(init[k])]);
      }
    }
    // The list's methods index its pairs rather than destructure them:
    // QuickJS runs an array pattern through the iterator protocol, which
    // made get() five times slower (issue 13).
    // _parse replaces the pairs with those of the query s (made when
    // needed).
    _parse(s) {
      this[$list] = null;
      this[$query] = s;
    }
    // _pairs returns the list of pairs, made from the query if it is not
    // yet.
    _pairs() {
      let list = this[$list];
      if (list !== null) return list;
      let s = this[$query];
      this[$list] = list = [];
      this[$query] = null;
      if (s.charCodeAt(0) === 63) s = s.slice(1); // "?"
      const parts = s.split("&");
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i];
        if (!part) continue;
        const eq = part.indexOf("=");
        if (eq < 0) list.push([formDecode(part), ""]);
        else list.push([formDecode(part.slice(0, eq)), formDecode(part.slice(eq + 1))]);
      }
      return list;
    }
    _update() { if (this[$parent]) this[$parent]._setSearchFromParams(this.toString()); }
    get size() { return this._pairs().length; }
    append(k, v) { this._pairs().push([String(k), String(v)]); this._update(); }
    delete(k, v) {
      k = String(k);
      if (v !== undefined) v = String(v);
      this[$list] = this._pairs().filter((e) => !(e[0] === k && (v === undefined || e[1] === v)));
      this._update();
    }
    get(k) {
      k = String(k);
      const q = this[$query];
      if (q !== null && q.indexOf("%") < 0 && q.indexOf("+") < 0) return queryGet(q, k);
      const list = this._pairs();
      for (let i = 0; i < list.length; i++) if (list[i][0] === k) return list[i][1];
      return null;
    }
    getAll(k) {
      k = String(k);
      const list = this._pairs(), out = [];
      for (let i = 0; i < list.length; i++) if (list[i][0] === k) out.push(list[i][1]);
      return out;
    }
    has(k, v) {
      k = String(k);
      if (v !== undefined) v = String(v);
      const list = this._pairs();
      for (let i = 0; i < list.length; i++) if (list[i][0] === k && (v === undefined || list[i][1] === v)) return true;
      return false;
    }
    set(k, v) {
      k = String(k); v = String(v);
      const i = this._pairs().findIndex((e) => e[0] === k);
      if (i < 0) this[$list].push([k, v]);
      else { this[$list][i][1] = v; this[$list] = this[$list].filter((e, j) => e[0] !== k || j === i); }
      this._update();
    }
    sort() { this._pairs().sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)); this._update(); }
    forEach(fn, thisArg) { const list = this._pairs().slice(); for (let i = 0; i < list.length; i++) fn.call(thisArg, list[i][1], list[i][0], this); }
    keys() { return this._pairs().map((e) => e[0])[Symbol.iterator](); }
    values() { return this._pairs().map((e) => e[1])[Symbol.iterator](); }
    entries() { return this._pairs().map((e) => [e[0], e[1]])[Symbol.iterator](); }
    [Symbol.iterator]() { return this.entries(); }
    toString() { return this._pairs().map((e) => formEncode(e[0]) + "=" + formEncode(e[1])).join("&"); }
    get [Symbol.toStringTag]() { return "URLSearchParams"; }
  }
  // queryGet is get(k) on the pairs _pairs would make of q, for a q that
  // nothing decodes: the first part (between '&'s, after a leading '?';
  // empty parts skipped) whose name, up to its first '=', is k gives the
  // rest after that '=' ("" without one). TestQueryGet holds it to _pairs.
  function queryGet(q, k) {
    const n = q.length;
    for (let i = q.charCodeAt(0) === 63 ? 1 : 0; i < n;) {
      let j = q.indexOf("&", i);
      if (j < 0) j = n;
      if (j > i) {
        const eq = q.indexOf("=", i);
        const end = eq >= 0 && eq < j ? eq : j;
        if (end - i === k.length && q.startsWith(k, i)) return q.slice(end + 1, j); // "" without '='
      }
      i = j + 1;
    }
    return null;
  }
  function formDecode(s) {
    if (s.indexOf("+") < 0 && s.indexOf("%") < 0) return s;
    s = s.replace(/\+/g, " ");
    try { return decodeURIComponent(s); } catch (e) {
      return s.replace(/%([0-9A-Fa-f]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16)));
    }
  }
  function formEncode(s) {
    return encodeURIComponent(s).replace(/%20/g, "+").replace(/[!'()~]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  }

  const URL_FIELDS = ["href", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash", "origin"];
  // SIMPLE_URL matches the absolute http(s) URLs whose WHATWG parse is the
  // input itself, split: a lower-case ASCII host whose last label is not
  // numeric and not punycode, or an IPv4 address in its canonical dotted
  // decimal form (the gateway's own origin often is one), a port without leading
  // zeros, a path without dot segments and a query without characters
  // the parser would percent-encode or decode ('%' included), no
  // userinfo, no fragment. Those are parsed here; any other URL goes to
  // the host's parser. TestURLFastPath checks both agree on a corpus.
  const SIMPLE_URL = /^(https?):\/\/((?:[a-z0-9-]+\.)*[a-z-][a-z0-9-]*|(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]))(?::([1-9][0-9]{0,4}))?(\/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*)?(\?[A-Za-z0-9\-._~!$&()*+,;=:@/?]+)?$/;
  function parseSimpleURL(s) {
    const m = SIMPLE_URL.exec(s);
    if (m === null) return null;
    const [, scheme, hostname, port0, path = "/", search = ""] = m;
    if (/(^|\.)xn--/.test(hostname) || /\/\.\.?(\/|$)/.test(path)) return null;
    let port = port0 || "";
    if (port !== "") {
      if (Number(port) > 65535) return null;
      if (port === (scheme === "http" ? "80" : "443")) port = "";
    }
    const host = port === "" ? hostname : hostname + ":" + port;
    const origin = scheme + "://" + host;
    return { href: origin + path + search, protocol: scheme + ":", username: "", password: "", host, hostname, port, pathname: path, search, hash: "", origin };
  }
  // splitRequestURL splits the URL of the request being served when the
  // host found it canonical (url.go, canonicalURL: what SIMPLE_URL
  // matches, with a path, and what the parser returns unchanged), so the
  // usual new URL(request.url) needs no regular expression: the scheme up
  // to ':', the host up to the path's first '/', the port after the
  // host's ':' (a name or a dotted IPv4 address has none of its own), the
  // query from the first '?'.
  function splitRequestURL(s) {
    const c = s.indexOf(":");
    const scheme = s.slice(0, c);
    const slash = s.indexOf("/", c + 3);
    const host = s.slice(c + 3, slash);
    const q = s.indexOf("?", slash);
    const pathname = q < 0 ? s.slice(slash) : s.slice(slash, q);
    const search = q < 0 ? "" : s.slice(q);
    const pc = host.indexOf(":");
    return {
      href: s, protocol: scheme + ":", username: "", password: "", host,
      hostname: pc < 0 ? host : host.slice(0, pc), port: pc < 0 ? "" : host.slice(pc + 1),
      pathname, search, hash: "", origin: scheme + "://" + host,
    };
  }
  function parseURL(input, base) {
    if (base === undefined) {
      const s = String(input);
      if (req !== null && req.simple && s === req.url) return splitRequestURL(s);
      const r = parseSimpleURL(s);
      if (r !== null) return r;
    }
    const r = JSON.parse(host("url", JSON.stringify({ input: String(input), base: base === undefined ? null : String(base) })));
    if (r.error) throw new TypeError(`Invalid URL: ${r.error}`);
    return r;
  }
  // urlParts returns u's parts, split from its href when the constructor
  // kept only that (the request's own URL, see URL); keptField returns one
  // of HREF_FIELDS without splitting it.
  function urlParts(u) {
    const p = u[$parts];
    return p !== null ? p : (u[$parts] = splitRequestURL(u[$href]));
  }
  function keptField(u, f) {
    const p = u[$parts];
    return p !== null ? p[f] : HREF_FIELDS[f](u[$href]);
  }
  class URL {
    constructor(input, base) {
      // new URL(request.url), the usual first line of a handler, keeps the
      // string: what a handler reads of it, pathname and search, is sliced
      // from it on read; any other field splits it once (urlParts).
      if (base === undefined && req !== null && req.simple && input === req.url) {
        this[$parts] = null;
        this[$href] = input;
      } else {
        this[$parts] = parseURL(input, base);
      }
      this[$params] = null;
    }
    static canParse(input, base) { try { parseURL(input, base); return true; } catch (e) { return false; } }
    static parse(input, base) { try { return new URL(input, base); } catch (e) { return null; } }
    _set(field, value) {
      const p = Object.assign({}, urlParts(this), { [field]: String(value) });
      if (field === "hostname" || field === "port") p.host = p.hostname + (p.port ? ":" + p.port : "");
      if (field === "host") { const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(p.host); if (m) { p.hostname = m[1]; p.port = m[2] || ""; } }
      const r = JSON.parse(host("url", JSON.stringify({ parts: p })));
      if (!r.error) this[$parts] = r;
      if (this[$params]) this[$params]._parse(this[$parts].search);
    }
    _setSearchFromParams(s) { this._set("search", s ? "?" + s : ""); }
    get searchParams() {
      if (!this[$params]) { const sp = new URLSearchParams(keptField(this, "search")); sp[$parent] = this; this[$params] = sp; }
      return this[$params];
    }
    get origin() { return urlParts(this).origin; }
    toString() { return keptField(this, "href"); }
    toJSON() { return keptField(this, "href"); }
    get [Symbol.toStringTag]() { return "URL"; }
  }
  // The fields a kept request URL (see URL) gives without splitting it: it
  // is canonical (splitRequestURL), so its path starts at the first '/'
  // after "scheme://" and its query at the first '?' after that.
  const HREF_FIELDS = {
    href: (s) => s,
    pathname: (s) => { const slash = s.indexOf("/", s.indexOf(":") + 3), q = s.indexOf("?", slash); return q < 0 ? s.slice(slash) : s.slice(slash, q); },
    search: (s) => { const q = s.indexOf("?", s.indexOf("/", s.indexOf(":") + 3)); return q < 0 ? "" : s.slice(q); },
  };
  for (const f of URL_FIELDS) {
    if (f === "origin") continue;
    Object.defineProperty(URL.prototype, f, {
      get: hasOwn(HREF_FIELDS, f) ? function () { return keptField(this, f); } : function () { return urlParts(this)[f]; },
      set(v) { f === "href" ? (this[$parts] = parseURL(v), this[$params] && this[$params]._parse(this[$parts].search)) : this._set(f, v); },
      enumerable: true, configurable: true,
    });
  }

  // ---------- Headers ----------
  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  // Names already checked, with their lower case: headers repeat from call
  // to call, and a warm VM serves many calls. Bounded.
  const NAMES = new Map();
  function normName(n) {
    n = String(n);
    const low = NAMES.get(n);
    if (low !== undefined) return low;
    if (!TOKEN.test(n)) throw new TypeError(`Headers: invalid header name "${n}"`);
    const l = n.toLowerCase();
    if (NAMES.size < 512) NAMES.set(n, l);
    return l;
  }
  const isWS = (c) => c === 32 || c === 9 || c === 10 || c === 13;
  function normValue(v) {
    v = String(v);
    if (v.length > 0 && (isWS(v.charCodeAt(0)) || isWS(v.charCodeAt(v.length - 1)))) v = v.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
    if (v.indexOf("\r") >= 0 || v.indexOf("\n") >= 0 || v.indexOf("\0") >= 0) throw new TypeError("Headers: invalid header value");
    return v;
  }
  function sortedPush(l, k) {
    if (k !== "set-cookie") this.push([k, l.length === 1 ? l[0] : l.join(", ")]);
    else for (let i = 0; i < l.length; i++) this.push([k, l[i]]);
  }
  // byName orders header pairs by name; set-cookie's keep their order
  // (Array.prototype.sort is stable).
  function byName(a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; }
  class Headers {
    constructor(init) {
      this[$map] = new Map(); // lower name -> [values]
      if (init === undefined || init === null) return;
      if (init instanceof Headers) { for (const [k, v] of init[$map]) this[$map].set(k, v.slice()); return; }
      if (Array.isArray(init)) {
        for (let i = 0; i < init.length; i++) {
          const p = init[i];
          if (Array.isArray(p) && p.length === 2) this.append(p[0], p[1]);
          else { const a = Array.from(p); if (a.length !== 2) throw new TypeError("Headers: each header pair must have exactly two items"); this.append(a[0], a[1]); }
        }
        return;
      }
      if (typeof init === "object" && typeof init[Symbol.iterator] === "function") {
        for (const pair of init) {
          const p = Array.from(pair);
          if (p.length !== 2) throw new TypeError("Headers: each header pair must have exactly two items");
          this.append(p[0], p[1]);
        }
        return;
      }
      if (typeof init === "object") { for (const k of Object.keys(init)) this.append(k, init[k]); return; }
      throw new TypeError("Headers: init must be an object, array or Headers");
    }
    append(n, v) { n = normName(n); v = normValue(v); const l = this[$map].get(n); if (l) l.push(v); else this[$map].set(n, [v]); }
    set(n, v) { this[$map].set(normName(n), [normValue(v)]); }
    delete(n) { this[$map].delete(normName(n)); }
    get(n) { const l = this[$map].get(normName(n)); return l ? l.join(", ") : null; }
    getSetCookie() { return (this[$map].get("set-cookie") || []).slice(); }
    has(n) { return this[$map].has(normName(n)); }
    // _sorted is the header list as the Fetch standard sorts and combines
    // it: by name, each name's values joined, but set-cookie's one pair
    // each.
    _sorted() {
      const out = [];
      this[$map].forEach(sortedPush, out);
      if (out.length > 1) out.sort(byName);
      return out;
    }
    forEach(fn, thisArg) { for (const [k, v] of this._sorted()) fn.call(thisArg, v, k, this); }
    keys() { return this._sorted().map(([k]) => k)[Symbol.iterator](); }
    values() { return this._sorted().map(([, v]) => v)[Symbol.iterator](); }
    entries() { return this._sorted()[Symbol.iterator](); }
    [Symbol.iterator]() { return this.entries(); }
    get [Symbol.toStringTag]() { return "Headers"; }
  }

  // ---------- Blob, FormData (minimal), bodies ----------
  // A body is kept as a string (text), a Uint8Array (bytes) or, for a
  // ReadableStream whose chunks are still to come, a StreamBody; any of
  // them can be read once, in any form.
  class StreamBody {
    constructor(stream) { this.stream = stream; }
    // all reads the stream to its end and returns its bytes; past max
    // bytes it stops, cancels the stream and throws.
    async all(max = Infinity) {
      const r = this.stream.getReader();
      const parts = [];
      let n = 0;
      for (;;) {
        const { done, value } = await r.read();
        if (done) break;
        const b = typeof value === "string" ? utf8encode(value) : toU8(value);
        parts.push(b);
        n += b.length;
        if (n > max) { r.cancel().catch(() => {}); throw new BodyTooLarge(); }
      }
      const out = new Uint8Array(n);
      let o = 0;
      for (const b of parts) { out.set(b, o); o += b.length; }
      return out;
    }
  }
  class BodyTooLarge extends Error {}
  function extractBody(body) {
    if (body === undefined || body === null) return { body: null, type: null };
    if (typeof body === "string") return { body, type: "text/plain;charset=UTF-8" };
    if (body instanceof URLSearchParams) return { body: body.toString(), type: "application/x-www-form-urlencoded;charset=UTF-8" };
    if (L !== null && body instanceof L.Blob) return { body: body._b, type: body.type || null };
    if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return { body: toU8(body).slice(), type: null };
    if (L !== null && body instanceof L.ReadableStream) {
      // Closed already (start() enqueued everything): the bytes now; else
      // the stream itself, read to its end when the body is used.
      if (body._closed && !body._errored && body._reader === null) return { body: body._drainSync(), type: null };
      if (body.locked) throw new TypeError("the body's ReadableStream is locked to a reader");
      return { body: new StreamBody(body), type: null };
    }
    return { body: String(body), type: "text/plain;charset=UTF-8" };
  }
  // cloneBody returns a copy of x's body for a clone, teeing a stream.
  function cloneBody(x) {
    const b = x[$body];
    if (b === null || typeof b === "string") return b;
    if (b instanceof StreamBody) { const [one, two] = b.stream.tee(); x[$body] = new StreamBody(one); return new StreamBody(two); }
    return b.slice();
  }
  function bodyBytes(b) { return b === null ? new Uint8Array(0) : typeof b === "string" ? utf8encode(b) : b; }
  function bodyText(b) { return b === null ? "" : typeof b === "string" ? b : utf8decode(b, false); }

  class Body {
    _initBody(body) { this[$body] = body; this[$used] = false; }
    get bodyUsed() { return this[$used]; }
    // The body as a stream, the same object on every read of the property;
    // reading or cancelling it uses the body up, as in the Fetch standard.
    get body() {
      if (this[$body] === null) return null;
      if (this[$body] instanceof StreamBody) return this[$body].stream;
      if (!this[$stream]) {
        const self = this;
        const stream = new (lazy().ReadableStream)({
          start(c) { if (!self[$used]) { const bytes = bodyBytes(self[$body]); if (bytes.length) c.enqueue(bytes); } c.close(); },
        });
        def(stream, "_owner", this);
        this[$stream] = stream;
      }
      return this[$stream];
    }
    _take() {
      if (this[$used]) throw new TypeError("Body is unusable: body has already been read");
      this[$used] = true;
      return this[$body];
    }
    // _takeAll is _take that reads a stream body to its end.
    async _takeAll() {
      const b = this._take();
      return b instanceof StreamBody ? b.all() : b;
    }
    async text() { return bodyText(await this._takeAll()); }
    async json() { return JSON.parse(bodyText(await this._takeAll())); }
    async arrayBuffer() { return bodyBytes(await this._takeAll()).slice().buffer; }
    async bytes() { return bodyBytes(await this._takeAll()).slice(); }
    async blob() { return new (lazy().Blob)([bodyBytes(await this._takeAll())], { type: this.headers.get("content-type") || "" }); }
    async formData() {
      const ct = this.headers.get("content-type") || "";
      if (ct.startsWith("application/x-www-form-urlencoded")) {
        const fd = new (lazy().FormData)();
        for (const [k, v] of new URLSearchParams(bodyText(await this._takeAll()))) fd.append(k, v);
        return fd;
      }
      throw new TypeError("formData: only application/x-www-form-urlencoded bodies are supported");
    }
  }

  // ---------- Request, Response ----------
  const METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"];
  class Request extends Body {
    constructor(input, init) {
      super();
      init = initDict("Request", init);
      let src = null;
      if (input instanceof Request) src = input;
      const url = src ? src.url : String(new URL(String(input)));
      let method = init.method !== undefined ? String(init.method) : src ? src.method : "GET";
      if (!TOKEN.test(method)) throw new TypeError(`Request: invalid method "${method}"`);
      if (METHODS.includes(method.toUpperCase())) method = method.toUpperCase();
      this[$url] = url;
      this[$method] = method;
      const headers = new Headers(init.headers !== undefined ? init.headers : src ? src.headers : undefined);
      this[$headers] = headers;
      let body = null;
      if (init.body !== undefined && init.body !== null) {
        if (method === "GET" || method === "HEAD") throw new TypeError("Request with GET/HEAD method cannot have body.");
        const e = extractBody(init.body);
        body = e.body;
        if (e.type && !headers.has("content-type")) headers.set("content-type", e.type);
      } else if (src && init.body === undefined) {
        body = src._take ? (src[$body] === null ? null : src._take()) : null;
      }
      this._initBody(body);
      this[$signal] = init.signal || (src && src[$signal]) || null;
      const redirect = init.redirect || (src && src.redirect) || "follow";
      if (redirect !== "follow") this[$redirect] = String(redirect);
    }
    get url() { return this[$url]; }
    get method() { return this[$method]; }
    // The headers of a request the agent receives are built on first use.
    get headers() {
      let h = this[$headers];
      if (h === null) { h = new Headers(typeof this[$rawHeaders] === "string" ? JSON.parse(this[$rawHeaders]) : this[$rawHeaders]); this[$headers] = h; }
      return h;
    }
    get redirect() { return this[$redirect] || "follow"; }
    get cache() { return "default"; }
    get credentials() { return "same-origin"; }
    get mode() { return "cors"; }
    get referrer() { return "about:client"; }
    get integrity() { return ""; }
    get keepalive() { return false; }
    get cf() { return undefined; }
    get signal() {
      if (this[$signal] === null) this[$signal] = new (lazy().AbortController)().signal;
      return this[$signal];
    }
    clone() {
      if (this[$used]) throw new TypeError("Request.clone: body has already been read");
      const r = new Request(this[$url], { method: this[$method], headers: this.headers, signal: this[$signal] || undefined });
      r[$body] = cloneBody(this);
      return r;
    }
    get [Symbol.toStringTag]() { return "Request"; }
  }

  // The request the agent receives: what the host sent, its headers built
  // on first use.
  function incomingRequest() {
    const r = Object.create(Request.prototype);
    // The host sent the URL serialised as new URL does and a known method
    // in upper case, as new Request makes them (invocation.go,
    // requestURL and requestMethod).
    r[$url] = req.url;
    r[$method] = req.method;
    r[$rawHeaders] = req.headers; // JSON, parsed when the agent reads them
    r[$headers] = null;
    r[$body] = req.enc !== "none" && req.method !== "GET" && req.method !== "HEAD" ? decodeBody(req.body, req.enc) : null;
    r[$used] = false;
    r[$signal] = null;
    return r;
  }

  const STATUS_TEXT = { 200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 413: "Payload Too Large", 422: "Unprocessable Entity", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout" };
  // A RequestInit or ResponseInit is a dictionary: null and undefined are
  // empty, anything but an object is a TypeError (as in Node).
  const NO_INIT = Object.freeze({});
  function initDict(ctor, init) {
    if (init === undefined || init === null) return NO_INIT;
    if (typeof init !== "object" && typeof init !== "function") throw new TypeError(`${ctor} constructor: init must be an object, null or undefined, not a ${typeof init}`);
    return init;
  }
  // jsonBody is set by Response.json for the one constructor call it
  // makes: the body's type is then application/json, not text.
  let jsonBody = false;
  // responseInfo returns r's statusText, type, url and redirected as one
  // record the runtime may change, made when first needed.
  function responseInfo(r) {
    let i = r[$info];
    if (i === null) i = r[$info] = { statusText: "", type: "default", url: "", redirected: false };
    return i;
  }
  class Response extends Body {
    constructor(body = null, init) {
      // Read and cleared before super(), the first point where agent code
      // could run (a replaced prototype), so no other construction sees it.
      const isJSON = jsonBody;
      jsonBody = false;
      super();
      init = initDict("Response", init);
      const status = init.status === undefined ? 200 : Number(init.status);
      if (!Number.isInteger(status) || status < 200 || status > 599) throw new RangeError(`Response: status ${init.status} is not in the range 200 to 599`);
      this[$status] = status;
      // statusText, type, url and redirected are accessors, as in the
      // Fetch standard (and Node): their values are kept only when one is
      // not the default (responseInfo).
      this[$info] = null;
      if (init.statusText !== undefined) responseInfo(this).statusText = String(init.statusText);
      const given = init.headers; // read once, as the dictionary is
      // Without init headers, the Headers object is made when first read
      // (the headers getter) from the body's type alone: most responses
      // are answered without anyone reading it (deliverResponse).
      const headers = given === undefined ? null : new Headers(given);
      // A string, the usual body, without extractBody's record.
      let type;
      if (isJSON) type = "application/json";
      else if (typeof body === "string") type = "text/plain;charset=UTF-8";
      else { const e = extractBody(body); body = e.body; type = e.type; }
      if (body !== null && (status === 204 || status === 205 || status === 304)) throw new TypeError(`Response with null body status ${status} cannot have body`);
      // $self marks the response deliverResponse may send by its type
      // alone: through a Proxy, it is the target, not the response sent.
      if (headers === null) { this[$type] = type || null; this[$self] = this; }
      else if (type && !headers.has("content-type")) headers[$map].set("content-type", [type]);
      this[$headers] = headers;
      this[$body] = body; this[$used] = false;
    }
    get statusText() { const i = this[$info]; return i === null ? "" : i.statusText; }
    get type() { const i = this[$info]; return i === null ? "default" : i.type; }
    get url() { const i = this[$info]; return i === null ? "" : i.url; }
    get redirected() { const i = this[$info]; return i === null ? false : i.redirected; }
    // headers is an accessor, as in the Fetch standard (and Node): made on
    // first read when the constructor had no init headers.
    get headers() {
      let h = this[$headers];
      if (h === null) {
        h = this[$headers] = new Headers();
        if (this[$type] !== null) h[$map].set("content-type", [this[$type]]);
      }
      return h;
    }
    get status() { return this[$status]; }
    get ok() { return this[$status] >= 200 && this[$status] < 300; }
    clone() {
      if (this[$used]) throw new TypeError("Response.clone: body has already been read");
      // Made as a 200, then given this one's status: Response.error()'s 0,
      // or a fetched response's, may be one the constructor refuses.
      const r = new Response(null, { statusText: this.statusText, headers: this.headers });
      r[$status] = this[$status];
      r[$body] = cloneBody(this);
      Object.assign(responseInfo(r), { url: this.url, redirected: this.redirected, type: this.type });
      return r;
    }
    static json(data, init = {}) {
      const text = JSON.stringify(data);
      if (text === undefined) throw new TypeError("Response.json: data is not JSON-serializable");
      jsonBody = true;
      try { return new Response(text, init); } finally { jsonBody = false; }
    }
    static redirect(url, status = 302) {
      if (![301, 302, 303, 307, 308].includes(status)) throw new RangeError("Response.redirect: invalid status " + status);
      return new Response(null, { status, headers: { location: String(new URL(String(url))) } });
    }
    static error() { const r = new Response(null, { status: 200 }); r[$status] = 0; responseInfo(r).type = "error"; return r; }
    get [Symbol.toStringTag]() { return "Response"; }
  }

  // Response's own headers getter, which deliverResponse may skip.
  const responseHeaders = lookupGetter.call(Response.prototype, "headers");
  // typeOnly reports a genuine Response of ours (not a Proxy of one: its
  // $self is the target) whose headers nobody read, and whose headers, if
  // read, would come from our getter: they are its body's type alone.
  function typeOnly(res) {
    return res[$headers] === null && res[$self] === res && getPrototypeOf(res) === Response.prototype &&
      !hasOwn(res, "headers") && lookupGetter.call(Response.prototype, "headers") === responseHeaders;
  }

  // ---------- fetch ----------
  function encodeBody(b) {
    if (b === null) return { body: "", enc: "none" };
    if (typeof b === "string") return { body: b, enc: "text" };
    return { body: b64encode(b), enc: "base64" };
  }
  function decodeBody(body, enc) {
    if (enc === "none") return null;
    if (enc === "base64") return b64decode(body);
    return body;
  }
  function fetch(input, init) {
    try {
      const req = input instanceof Request && init === undefined ? input : new Request(input, init);
      const signal = req[$signal];
      if (signal && signal.aborted) return Promise.reject(signal.reason);
      if (req[$body] instanceof StreamBody) return req._takeAll().then((b) => send(req, b, signal));
      return send(req, req[$body] === null ? null : req._take(), signal);
    } catch (e) {
      return Promise.reject(e);
    }
  }
  // send hands a request, its body read, to the host.
  function send(req, body, signal) {
    try {
      const enc = encodeBody(body);
      const arg = JSON.stringify({ url: req.url, method: req.method, headers: Array.from(req.headers), body: enc.body, enc: enc.enc, redirect: req.redirect });
      return new Promise((resolve, reject) => {
        const id = host("fetch", arg);
        const onAbort = () => { host("abort", String(id)); complete(id, false, signal.reason); };
        if (signal) signal.addEventListener("abort", onAbort, { once: true });
        pending.set(id, {
          resolve(payload) {
            if (signal) signal.removeEventListener("abort", onAbort);
            const r = JSON.parse(payload);
            const res = new Response(null, { status: r.status >= 200 && r.status <= 599 ? r.status : 200, statusText: r.statusText, headers: r.headers });
            res[$status] = r.status;
            res[$body] = decodeBody(r.body, r.enc);
            Object.assign(responseInfo(res), { url: r.url, redirected: !!r.redirected, type: "basic" });
            resolve(res);
          },
          reject(e) {
            if (signal) signal.removeEventListener("abort", onAbort);
            reject(e instanceof Error || (e && e.name === "AbortError") ? e : new TypeError(String(e)));
          },
        });
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  // ---------- cove host services ----------
  const cove = Object.freeze({
    deriveKey(path) {
      try {
        if (typeof path !== "string" || path === "") throw new TypeError("cove.deriveKey: path must be a non-empty string");
        return Promise.resolve(b64decode(host("derive", path)));
      } catch (e) {
        return Promise.reject(e);
      }
    },
  });

  const performance = { now: () => Number(host("now", "")), timeOrigin: Date.now() };

  // ---------- install ----------
  const globals = {
    btoa, atob, console, setTimeout, clearTimeout, setInterval, clearInterval,
    queueMicrotask, URL, URLSearchParams, Headers, Request, Response, fetch, cove, performance,
  };
  for (const k of Object.keys(globals)) def(global, k, globals[k]);
  // The rest of the runtime (prelude_lazy.js) loads on first use.
  let L = null, lazyFactory = null;
  const LAZY = ["Intl", "DOMException", "TextEncoder", "TextDecoder", "Event", "EventTarget", "AbortSignal", "AbortController", "Blob", "FormData", "ReadableStream", "WritableStream", "TransformStream", "TextEncoderStream", "TextDecoderStream", "crypto", "structuredClone"];
  function lazy() {
    if (L === null) {
      host("lazy"); // the host evaluates prelude_lazy.js and hands its factory to dispatch (lazy)
      const factory = lazyFactory;
      lazyFactory = null;
      L = factory({ host, def, b64encode, b64decode, utf8encode, utf8decode, toU8, setTimeout, $used, Response, Request, URL, Headers, URLSearchParams });
      for (const k of LAZY) def(global, k, L[k]);
    }
    return L;
  }
  for (const k of LAZY) {
    Object.defineProperty(global, k, {
      get() { return lazy()[k]; },
      set(v) { def(global, k, v); },
      configurable: true,
      enumerable: false,
    });
  }
  def(global, "self", global);
  def(global, "navigator", { userAgent: "Cove" });

  // ---------- dispatch ----------
  // For each call the Go side calls dispatch(prepare), then, in a VM that
  // has not run it yet, the agent's code (the built request-JSON form reads
  // scriptArgs at top level), then dispatch(run).
  // req (the request being served) is declared near the top, with the
  // fields that the URL parser reads.
  let delivered = false;
  let style = null; // the agent style run detected
  let output = null; // {v}: the last value the agent set as scriptOutput
  // deliver hands the answer to the host (hostops.go, respond): its head
  // as one string of fields separated by NUL, the status, the body's
  // encoding, then each header's name and value, and the body. A header
  // whose name or value holds a NUL (no valid one does) is left out here,
  // as the host leaves out the other invalid ones. A status that is not a
  // finite number goes as 0, which the host refuses as out of range.
  function deliver(status, headers, body) {
    if (delivered) return;
    // A body longer in UTF-16 units (or bytes) than the limit is over it in
    // UTF-8 too: refuse it before copying it anywhere.
    if (body !== null && body.length > limits.responseBytes) {
      delivered = true;
      return host("fail", "\u0000limit:response");
    }
    if (typeof status !== "number") throw new TypeError("the agent's response status must be a number, not a " + typeof status);
    const e = typeof body === "string" ? null : encodeBody(body);
    let head = (Number.isFinite(status) ? status : 0) + (e === null ? "\0text" : "\0" + e.enc);
    for (let i = 0; i < headers.length; i++) {
      const p = headers[i];
      if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== "string" || typeof p[1] !== "string") throw new TypeError("the agent's response headers must be [name, value] pairs of strings");
      if (p[0].indexOf("\0") < 0 && p[1].indexOf("\0") < 0) head += "\0" + p[0] + "\0" + p[1];
    }
    delivered = true;
    host("respond", head, e === null ? body : e.body);
  }
  function fail(err) {
    if (delivered) return;
    delivered = true;
    let msg;
    try { msg = describeThrown(err); } catch (e) { msg = "the agent threw a value that cannot be shown"; }
    host("fail", msg);
  }
  // describeThrown says what the agent threw: an Error (or an object shaped
  // like one) as "Name: message" with its stack after a newline, anything
  // else as what it is and its contents.
  function describeThrown(err) {
    if (err === null) {
      // QuickJS also throws null when the heap is too full to make its
      // out-of-memory error. If it still is (what filled it is still
      // held), that is the memory limit; else the host words it.
      try { new Uint8Array(1 << 16); } catch (e) { return "\u0000limit:memory"; }
      return "\u0000null";
    }
    const stack = (e) => (typeof e.stack === "string" && e.stack ? "\n" + e.stack : "");
    if (err instanceof Error) return `${err.name}: ${err.message}${stack(err)}`;
    if (typeof err === "object" && typeof err.message === "string" && (err.name === undefined || typeof err.name === "string")) {
      return `${err.name || "Error"}: ${err.message}${stack(err)}`;
    }
    if (err === undefined) return "the agent threw undefined";
    let shown = typeof err === "string" ? JSON.stringify(err) : inspect(err, 0, []);
    if (shown.length > 500) shown = shown.slice(0, 500) + "…";
    const what = typeof err === "object" ? "an object that is not an Error" : typeof err === "function" ? "a function" : "a " + typeof err;
    return `the agent threw ${what}: ${shown}`;
  }
  function phalaRequest() {
    const u = new URL(req.url);
    const queries = {};
    for (const [k, v] of u.searchParams) (queries[k] = queries[k] || []).push(v);
    const headers = {};
    for (const [k, v] of JSON.parse(req.headers)) headers[k] = v;
    // url is for @phala/wapo-env's handle(app), which builds a Request from it.
    const r = { method: req.method, url: req.url, path: u.pathname, queries, headers, secret: secrets };
    if (req.body !== "" || req.enc === "base64") r.body = req.enc === "base64" ? atob(req.body) : req.body;
    return JSON.stringify(r);
  }
  // msgpackDecode reads the msgpack value a wapo agent (@phala/wapo-env's
  // handle) sets as scriptOutput: nil, booleans, numbers, strings, binary,
  // arrays and maps (map keys become own properties, never the prototype).
  function msgpackDecode(u8) {
    const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    let i = 0;
    const need = (n) => { if (i + n > u8.length) throw new TypeError("scriptOutput: truncated msgpack"); };
    const str = (n) => { need(n); const v = utf8decode(u8.subarray(i, i + n), false); i += n; return v; };
    const bin = (n) => { need(n); const v = u8.slice(i, i + n); i += n; return v; };
    const arr = (n) => { const a = []; for (let k = 0; k < n; k++) a.push(read()); return a; };
    const map = (n) => {
      const o = {};
      for (let k = 0; k < n; k++) { const key = String(read()); Object.defineProperty(o, key, { value: read(), writable: true, enumerable: true, configurable: true }); }
      return o;
    };
    const u = (n, get) => { need(n); const v = get(i); i += n; return v; };
    function read() {
      need(1);
      const b = u8[i++];
      if (b <= 0x7f) return b;
      if (b >= 0xe0) return b - 256;
      if ((b & 0xe0) === 0xa0) return str(b & 31);
      if ((b & 0xf0) === 0x90) return arr(b & 15);
      if ((b & 0xf0) === 0x80) return map(b & 15);
      switch (b) {
        case 0xc0: return null;
        case 0xc2: return false;
        case 0xc3: return true;
        case 0xc4: return bin(u(1, (j) => dv.getUint8(j)));
        case 0xc5: return bin(u(2, (j) => dv.getUint16(j)));
        case 0xc6: return bin(u(4, (j) => dv.getUint32(j)));
        case 0xca: return u(4, (j) => dv.getFloat32(j));
        case 0xcb: return u(8, (j) => dv.getFloat64(j));
        case 0xcc: return u(1, (j) => dv.getUint8(j));
        case 0xcd: return u(2, (j) => dv.getUint16(j));
        case 0xce: return u(4, (j) => dv.getUint32(j));
        case 0xcf: return Number(u(8, (j) => dv.getBigUint64(j)));
        case 0xd0: return u(1, (j) => dv.getInt8(j));
        case 0xd1: return u(2, (j) => dv.getInt16(j));
        case 0xd2: return u(4, (j) => dv.getInt32(j));
        case 0xd3: return Number(u(8, (j) => dv.getBigInt64(j)));
        case 0xd9: return str(u(1, (j) => dv.getUint8(j)));
        case 0xda: return str(u(2, (j) => dv.getUint16(j)));
        case 0xdb: return str(u(4, (j) => dv.getUint32(j)));
        case 0xdc: return arr(u(2, (j) => dv.getUint16(j)));
        case 0xdd: return arr(u(4, (j) => dv.getUint32(j)));
        case 0xde: return map(u(2, (j) => dv.getUint16(j)));
        case 0xdf: return map(u(4, (j) => dv.getUint32(j)));
      }
      throw new TypeError("scriptOutput: unsupported msgpack type 0x" + b.toString(16));
    }
    return read();
  }
  function deliverPhala(out) {
    let r = out;
    if (out instanceof Uint8Array) r = msgpackDecode(out); // wapo's handle(app)
    if (typeof out === "string") {
      try { r = JSON.parse(out); } catch (e) { return deliver(200, [["content-type", "text/plain;charset=UTF-8"]], out); }
    }
    if (r === null || typeof r !== "object") return fail(new TypeError("the agent's main() must return a JSON string {status, body, headers}"));
    if (r.success === false && r.error !== undefined && r.status === undefined) return fail(new Error(String(r.error)));
    const status = r.status === undefined ? 200 : Number(r.status);
    const headers = [];
    if (r.headers && typeof r.headers === "object") for (const k of Object.keys(r.headers)) headers.push([k, String(r.headers[k])]);
    let body = r.body;
    if (body === undefined || body === null) body = null;
    else if (body instanceof Uint8Array) body = body.slice();
    else if (typeof body !== "string") { body = JSON.stringify(body); if (!headers.some(([k]) => k.toLowerCase() === "content-type")) headers.push(["content-type", "application/json"]); }
    deliver(status, headers, body);
  }
  // deliverResponse answers with what the fetch handler returned: at once
  // for a Response, through a promise for a Response-like object.
  function deliverResponse(res) {
    if (!(res instanceof Response)) {
      if (res && typeof res === "object" && typeof res.status === "number" && res.headers && typeof res.text === "function") {
        return Promise.resolve(res.text()).then((text) => deliver(res.status, Array.from(res.headers), text));
      }
      throw new TypeError("the agent's fetch handler must return a Response (got " + (res === null ? "null" : typeof res) + ")");
    }
    const body = res[$body] === null ? null : res._take();
    let headers;
    if (typeOnly(res)) headers = res[$type] === null ? [] : [["content-type", res[$type]]];
    else headers = res.headers instanceof Headers ? res.headers._sorted() : Array.from(res.headers);
    if (body instanceof StreamBody) {
      // A streamed answer is held to the response limit while it is read.
      return body.all(limits.responseBytes).then((b) => deliver(res.status, headers, b),
        (e) => { if (e instanceof BodyTooLarge) return host("fail", "\u0000limit:response"); throw e; });
    }
    deliver(res.status, headers, body);
  }
  // What stays the same for every call a VM serves (one agent version):
  // its secrets and limits, sent with the first call only.
  let secrets = null, limits = null;
  let args = null, argsRead = false; // scriptArgs, built on first read
  function getArgs() {
    if (!argsRead) { argsRead = true; host("args"); if (args === null) args = [phalaRequest()]; }
    return args;
  }
  // prepare takes the request as the host passes it (invocation.go,
  // prepareArgs): simple says its URL is canonical (splitRequestURL); its
  // headers come as JSON text, parsed only if read; first, in a VM's first
  // call only, is the agent's secrets and limits as JSON.
  function prepare(method, url, simple, headers, body, enc, first) {
    // A warm VM serves its agent's calls one after another: each starts
    // with its own request and nothing delivered.
    req = { method, url, simple, headers, body, enc };
    delivered = false; style = null; output = null; args = null; argsRead = false;
    if (first === undefined) return;
    const f = JSON.parse(first);
    secrets = f.env; limits = f.limits;
    // process.env is a frozen copy of the agent's secrets (Phala's Hono
    // agents read process.env.NAME; the openai SDK reads OPENAI_API_KEY and
    // OPENAI_BASE_URL). Only env: process.versions and process.release stay
    // absent, so libraries that detect Node by them do not take their Node
    // paths.
    const env = Object.freeze(Object.assign({}, secrets));
    def(global, "process", { env, argv: [], platform: "cove", nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)) });
    // scriptArgs tells the host when it is read: a script with no handler
    // that never reads it is in no known style (see run). It is built on
    // first read: most agents never read it.
    Object.defineProperty(global, "scriptArgs", {
      configurable: true,
      get: getArgs,
      set(v) { args = v; },
    });
    Object.defineProperty(global, "scriptOutput", {
      configurable: true,
      get() { return undefined; },
      // A built script answers through it; a main() that returns nothing
      // (wapo's handle(app)) answers with the last value set.
      set(v) { output = { v }; if (style === null || style === "script") try { deliverPhala(v); } catch (e) { fail(e); } },
    });
  }
  // A fetch handler's ctx: these do nothing (a call ends when it answers).
  function waitUntil() {}
  function passThroughOnException() {}
  // answer delivers what a fetch handler returned or resolved to; an error
  // in delivering it, now or later (a Response-like object's text()), is
  // the call's failure.
  function answer(out) {
    try {
      const later = deliverResponse(out);
      if (later) later.catch(fail);
    } catch (e) {
      fail(e);
    }
  }
  // awaitAnswer answers with what a fetch handler's result resolves to, as
  // await does (a promise of the intrinsic Promise is read for its
  // constructor only; anything else is resolved, a thenable's then called
  // in a job).
  async function awaitAnswer(out) {
    let v;
    try { v = await out; } catch (e) { fail(e); return; }
    answer(v);
  }
  const STYLES = "export default an object with a fetch(request, env, ctx) method (a Hono app is one), " +
    "export default (or export) a function main(request) that takes and returns request JSON, " +
    "or, as a built script, read globalThis.scriptArgs[0] and set globalThis.scriptOutput";
  function run() {
    const mod = global.__cove_agent;
    let entry;
    if (mod !== null && (typeof mod === "object" || typeof mod === "function")) {
      if ("default" in mod) entry = mod.default;
      else if (typeof mod.main === "function") entry = mod.main; // export function main
      else if (typeof mod === "function" || typeof mod.fetch === "function") entry = mod; // CommonJS module.exports
    }
    // run returns the style it detected, for the host.
    if (entry === undefined) {
      // The built request-JSON form: its top-level code already ran and
      // delivers through the scriptOutput setter, now or later.
      return (style = "script");
    }
    if (typeof entry === "function") {
      style = "main";
      Promise.resolve().then(() => entry(getArgs()[0])).then((out) => deliverPhala(out === undefined && output ? output.v : out)).catch(fail);
      return style;
    }
    if (entry && typeof entry.fetch === "function") {
      style = "fetch";
      const ctx = { waitUntil, passThroughOnException, props: {} };
      // The handler runs now, within this call's time budget; a Response
      // it returns is delivered at once, a promise when it settles.
      try {
        const out = entry.fetch(incomingRequest(), Object.assign({}, secrets), ctx);
        if (out instanceof Response) answer(out);
        else {
          // An async handler that awaited nothing returns a promise already
          // fulfilled: answered now when that is what awaiting it would do
          // next (settled; its prototype read only once settled has found
          // it a promise, so no proxy's trap runs), else awaited.
          const v = settled === null ? settled : settled(out, settled, PromiseCtor, PromiseProto);
          if (v !== settled && getPrototypeOf(out) === PromiseProto) answer(v);
          else awaitAnswer(out);
        }
      } catch (e) {
        fail(e);
      }
      return style;
    }
    fail(new TypeError("the agent has no handler (its default export is " + (entry === null ? "null" : typeof entry) + "): " + STYLES));
    return style;
  }
  // dispatch's operations are numbered as invocation.go's opPrepare etc.
  return function dispatch(op, a, b, c, d, e, f, g) {
    switch (op) {
      case 0: return prepare(a, b, c, d, e, f, g);
      case 1: return run();
      case 2: return complete(a, b, c);
      case 3: return fireTimer(a);
      case 4: lazyFactory = a; return;
    }
    throw new TypeError("dispatch: unknown operation " + op);
  };
})(globalThis);
